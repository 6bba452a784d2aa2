"""The installed package: engines, training and the live window under rtast's own name, nothing generic."""

import json
import subprocess
import sys

CHECK = """
import importlib.util, json, rtast.engines.build, rtast.live.state, rtast.train.loop
from importlib.metadata import entry_points
print(json.dumps({
    "generic": {n: s.origin for n in ("engines", "train", "apps") if (s := importlib.util.find_spec(n))},
    "loaders": [e.value for e in entry_points(group="rtast.engine_loaders")],
}))
"""


def test_installed_rtast_has_no_generic_top_level_names(tmp_path):
    """Run from outside the checkout, as a user's script would be (its folder first on sys.path)."""
    (tmp_path / "train.py").write_text("raise SystemExit('the user\\'s own train.py was imported')\n")
    out = subprocess.run([sys.executable, "-c", CHECK], cwd=tmp_path, capture_output=True, text=True, check=True)
    report = json.loads(out.stdout)
    assert report["generic"] == {"train": str(tmp_path / "train.py")}  # the user's own train.py, not ours
    assert report["loaders"] == ["rtast.engines.build:load_engine"]


def test_python_m_rtast_train_runs_from_anywhere(tmp_path):
    out = subprocess.run([sys.executable, "-m", "rtast.train", "--help"], cwd=tmp_path, capture_output=True, text=True)
    assert out.returncode == 0 and "fit" in out.stdout, out.stderr


def test_every_package_folder_is_listed_in_pyproject():
    """pyproject lists packages by hand (the package-dir mapping); a new subpackage must not be left out of a wheel."""
    from pathlib import Path

    import tomllib

    root = Path(__file__).resolve().parent.parent
    config = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]
    folders = {name: root / path for name, path in config["package-dir"].items()}
    found = set()
    for name, folder in folders.items():
        for init in folder.rglob("__init__.py"):
            if "__pycache__" not in init.parts and "data" not in init.relative_to(folder).parts:
                rel = init.parent.relative_to(folder).parts
                found.add(".".join((name, *rel)))
    assert found <= set(config["packages"]), sorted(found - set(config["packages"]))
