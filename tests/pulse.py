"""A private PulseAudio server with a null sink, for end-to-end audio tests without a sound card.

Audio path: ``paplay`` plays a clip into the null sink ``rtast_sink``; the program under test records the sink's
monitor ``rtast_sink.monitor`` through sounddevice -> PortAudio's ALSA host API -> the ALSA ``pulse`` plugin
(libasound2-plugins) -> this server. Debian packages: ``pulseaudio pulseaudio-utils libasound2-plugins``.

Usage::

    with PulseServer() as server:
        child = subprocess.Popen([...], env={**os.environ, **server.env})  # records from device "pulse"
        server.play("speech.wav")
        server.kill()  # the input device disappears

The server is private: socket, runtime, state and home directories live in one temporary directory; it runs with
``-n`` (no default.pa: no hardware, D-Bus, X11 or bluetooth modules), a minimal environment whose session bus address
points nowhere, and only the modules of ``PulseServer._script``. It never touches a user's PulseAudio or PipeWire.
As root, pulseaudio only warns "This program is not intended to be run as root (unless --system is specified)" and
works normally; system mode is not needed. Starting takes about 0.1 s.

The null sink also gets a silent 20-ms playback stream (``module-null-source`` looped into it): an idle null sink
renders in 2-s blocks, so a recording would otherwise get its first samples up to 2 s late and then in bursts, unlike
a microphone. The monitor therefore delivers exact zeros when nothing plays.

``env`` is what a client needs: ``PULSE_SERVER`` (the socket), ``PULSE_SOURCE``/``PULSE_SINK`` (where the plugin's
streams go), ``PULSE_COOKIE`` and ``PULSE_CLIENTCONFIG`` (so clients neither create ``~/.config/pulse/cookie`` nor
read the user's client.conf). With it PortAudio lists two ALSA devices, ``pulse`` and ``default`` (Debian's ALSA
config makes ``default`` the pulse plugin when a server answers); both record the monitor. With no reachable server
neither is listed.

Same process (sounddevice 0.5, PortAudio 19.6, alsa-lib 1.2.8): the plugin reads the environment each time a device
is opened, and PortAudio builds its device list when it initialises, which sounddevice does on import. So
``os.environ.update(server.env)`` before ``import sounddevice`` works. After the import, a stream opened on a device
that is already listed goes to the new server; but if no server answered at import, ``pulse`` and ``default`` are not
listed (ValueError "No input device matching 'pulse'") until ``sd._terminate(); sd._initialize()``, after which both
record. Tests run the program as a child process with ``env={**os.environ, **server.env}``, which needs neither.

``kill()`` (SIGKILL) while a client records, as seen by sounddevice: within milliseconds PortAudio prints
"Expression 'alsa_snd_pcm_poll_descriptors_revents(...)' failed ..." on stderr. A callback stream then gets no more
callbacks (the last ones carry no status flags), ``finished_callback`` runs, ``stream.active`` becomes False while
``stream.stopped`` stays False, and ``stop()``/``close()`` return at once without raising; nothing else is raised.
A blocking ``stream.read()`` raises ``sounddevice.PortAudioError('Unanticipated host error', -9999,
(0, -5, 'Input/output error'))`` at once, and again on every later call, while ``stream.active`` stays True. Opening
the device while the server is down fails (``PortAudioError`` -9993 "Illegal combination of I/O devices" with the old
device list, ValueError after re-initialising); after ``start()`` it opens again.
"""

from __future__ import annotations

import ctypes.util
import glob
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import time
import weakref
from pathlib import Path

SINK = "rtast_sink"
MONITOR = f"{SINK}.monitor"
INSTALL_HINT = "apt-get install pulseaudio pulseaudio-utils libasound2-plugins"
ALSA_PULSE_PLUGIN_GLOBS = (
    "/usr/lib/*/alsa-lib/libasound_module_pcm_pulse.so",
    "/usr/lib/alsa-lib/libasound_module_pcm_pulse.so",
    "/usr/lib64/alsa-lib/libasound_module_pcm_pulse.so",
)


def pulse_unavailable_reason(portaudio: bool = True) -> str | None:
    """None if a private server can be started (and, with ``portaudio``, recorded through sounddevice), else why not."""
    if not sys.platform.startswith("linux"):
        return f"the PulseAudio test harness needs Linux, not {sys.platform}"
    for tool in ("pulseaudio", "pactl", "paplay"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed ({INSTALL_HINT})"
    if not portaudio:
        return None
    if not any(glob.glob(pattern) for pattern in ALSA_PULSE_PLUGIN_GLOBS):
        return f"the ALSA pulse plugin is not installed ({INSTALL_HINT})"
    # Not imported here: importing sounddevice initialises PortAudio, which would open the user's devices.
    if importlib.util.find_spec("sounddevice") is None:
        return "sounddevice is not installed (pip install sounddevice)"
    if ctypes.util.find_library("portaudio") is None:
        return "the PortAudio library is not installed (apt-get install libportaudio2)"
    return None


def _stop_process(process: subprocess.Popen, timeout: float = 5.0) -> None:
    """Terminate a process, escalating to SIGKILL; always reap it and close its pipes."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    for pipe in (process.stdin, process.stdout, process.stderr):
        if pipe is not None:
            pipe.close()


def _cleanup(processes: list[subprocess.Popen], root: str) -> None:
    """Stop the players, then the daemons, and remove the temporary directory."""
    for process in reversed(processes):
        _stop_process(process, timeout=2.0)
    processes.clear()
    shutil.rmtree(root, ignore_errors=True)


class PulseServer:
    """A private pulseaudio daemon whose default sink is the null sink ``rtast_sink``, default source its monitor."""

    def __init__(self, rate: int = 48000, start_timeout: float = 10.0) -> None:
        self.rate = rate
        self.start_timeout = start_timeout
        self.process: subprocess.Popen | None = None  # the daemon
        self._processes: list[subprocess.Popen] = []  # daemons and players, for cleanup
        self.root = Path(tempfile.mkdtemp(prefix="rtast-pulse-"))
        if len(str(self.root)) > 80:  # unix socket paths are limited to 107 bytes
            shutil.rmtree(self.root)
            self.root = Path(tempfile.mkdtemp(prefix="rtast-pulse-", dir="/tmp"))
        self.socket = self.root / "runtime" / "native"
        self.log_path = self.root / "pulseaudio.log"
        self.env: dict[str, str] = {
            "PULSE_SERVER": f"unix:{self.socket}",
            "PULSE_SINK": SINK,
            "PULSE_SOURCE": MONITOR,
            "PULSE_COOKIE": str(self.root / "cookie"),
            "PULSE_CLIENTCONFIG": str(self.root / "client.conf"),
        }
        # Runs on stop(), when the object is collected, or at interpreter exit, whichever comes first.
        self._finalizer = weakref.finalize(self, _cleanup, self._processes, str(self.root))

    def __enter__(self) -> PulseServer:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _script(self) -> str:
        """The daemon's startup script (``-F``): native protocol, null sink, silent keep-alive stream, defaults."""
        return "\n".join(
            [
                f"load-module module-native-protocol-unix socket={self.socket} auth-anonymous=1 auth-cookie-enabled=0",
                f"load-module module-null-sink sink_name={SINK} rate={self.rate} channels=2",
                f"load-module module-null-source source_name=rtast_silence rate={self.rate} channels=2",
                f"load-module module-loopback source=rtast_silence sink={SINK} latency_msec=20"
                " source_dont_move=true sink_dont_move=true",
                # The sink armed a 2-s render timer before the loopback asked for 20 ms; a suspend/resume re-arms it.
                f"suspend-sink {SINK} 1",
                f"suspend-sink {SINK} 0",
                f"set-default-sink {SINK}",
                f"set-default-source {MONITOR}",
                "",
            ]
        )

    def command(self) -> list[str]:
        """The daemon's command line."""
        return [
            "pulseaudio",
            "-n",  # no default.pa: only the modules of our script
            "-F",
            str(self.root / "server.pa"),
            "--daemonize=no",
            "--system=no",
            "--exit-idle-time=-1",
            "--disallow-exit",
            "--use-pid-file=no",
            "--high-priority=no",
            "--realtime=no",
            "--log-target=stderr",
        ]

    def _daemon_env(self) -> dict[str, str]:
        """A minimal environment that confines the daemon to our temporary directory (no session D-Bus, no X11)."""
        for name in ("runtime", "state", "home"):
            (self.root / name).mkdir(mode=0o700, exist_ok=True)
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "HOME": str(self.root / "home"),
            "XDG_RUNTIME_DIR": str(self.root / "runtime"),
            "XDG_CONFIG_HOME": str(self.root / "home" / ".config"),
            "PULSE_RUNTIME_PATH": str(self.root / "runtime"),
            "PULSE_STATE_PATH": str(self.root / "state"),
            "DBUS_SESSION_BUS_ADDRESS": f"unix:path={self.root / 'no-dbus'}",
        }

    def start(self) -> PulseServer:
        """Start the daemon and wait until it serves the null sink; RuntimeError (with its log) if it does not.

        Calling it again after ``kill()`` restarts the server on the same socket, so clients' ``env`` stays valid.
        """
        if not self._finalizer.alive:
            raise RuntimeError("PulseServer was stopped; create a new one")
        if self.alive:
            raise RuntimeError("PulseServer is already running")
        reason = pulse_unavailable_reason(portaudio=False)
        if reason is not None:
            raise RuntimeError(reason)
        daemon_env = self._daemon_env()
        (self.root / "server.pa").write_text(self._script())
        (self.root / "client.conf").write_text("autospawn = no\n")
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                self.command(), env=daemon_env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
            )
        self._processes.insert(0, self.process)  # stopped last
        self._wait_ready()
        return self

    def log(self) -> str:
        """What the daemon has written to stderr so far."""
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.start_timeout
        last = ""
        while True:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"pulseaudio exited with status {self.process.returncode} while starting:\n{self.log()}"
                )
            try:
                result = self.pactl("info", check=False, timeout=2.0)
                last = result.stdout + result.stderr
                if result.returncode == 0 and f"Default Source: {MONITOR}" in result.stdout:
                    return
            except subprocess.TimeoutExpired:
                last = "pactl info timed out"
            if time.monotonic() > deadline:
                _stop_process(self.process)
                raise RuntimeError(
                    f"pulseaudio not ready after {self.start_timeout:.0f} s; last pactl info: {last.strip()}\n"
                    f"daemon log:\n{self.log()}"
                )
            time.sleep(0.05)

    def pactl(self, *args: str, check: bool = True, timeout: float = 10.0) -> subprocess.CompletedProcess[str]:
        """Run ``pactl`` against this server."""
        return subprocess.run(
            ["pactl", *args],
            env={**os.environ, **self.env},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=check,
        )

    @property
    def alive(self) -> bool:
        """Whether the daemon process is running."""
        return self.process is not None and self.process.poll() is None

    def play(self, path: str | os.PathLike[str], block: bool = False, timeout: float = 60.0) -> subprocess.Popen:
        """Play an audio file into the null sink with ``paplay``; with ``block``, wait and raise if it fails."""
        if not self.alive:
            raise RuntimeError("PulseServer is not running")
        player = subprocess.Popen(
            ["paplay", f"--device={SINK}", "--client-name=rtast-test", str(path)],
            env={**os.environ, **self.env},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._processes.append(player)
        if block:
            try:
                _, stderr = player.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                _stop_process(player)
                raise
            if player.returncode != 0:
                raise RuntimeError(f"paplay {path} failed with status {player.returncode}: {stderr.strip()}")
        return player

    def kill(self) -> None:
        """Kill the daemon with SIGKILL, as when an input device disappears; clients see their connection drop."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def stop(self) -> None:
        """Stop players and the daemon (SIGTERM, then SIGKILL) and remove the temporary directory; idempotent."""
        self._finalizer()
