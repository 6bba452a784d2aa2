"""Training speed of the default recipe's model: one optimiser step on a batch, fp32 vs bf16 autocast.

Prints seconds per step and the ratio to fp32 from one run, so that ``--precision auto`` can be
checked on the machine at hand (bf16 is native with AVX-512 BF16 or AMX, emulated elsewhere).
"""

from __future__ import annotations

import argparse
import statistics

import torch

from bench.common import machine, time_it
from rtast.cpu import native_bf16
from rtast.model import AST, ASTConfig
from train.precision import autocast
from train.recipes import CPU_AST

SHIPPED = {k: CPU_AST[k] for k in ("embed_dim", "depth", "num_heads")}
WIDER = {"embed_dim": 256, "depth": 6, "num_heads": 4}


def model_for(sizes: dict, classes: int) -> AST:
    config = ASTConfig(
        **sizes,
        fstride=CPU_AST["fstride"],
        tstride=CPU_AST["tstride"],
        input_tdim=CPU_AST["target_length"],
        num_classes=classes,
        frame_head=True,
        frame_input="concat",
    )
    return AST(config)


def step_seconds(sizes: dict, precision: str, batch: int, classes: int, repeat: int) -> list[float]:
    torch.manual_seed(0)
    model = model_for(sizes, classes)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    x = torch.randn(batch, CPU_AST["target_length"], 128)
    y = (torch.rand(batch, classes) > 0.9).float()
    y_steps = (torch.rand(batch, model.config.grid[1], classes) > 0.9).float()
    device = torch.device("cpu")

    def step() -> None:
        with autocast(precision, device):
            clip, frames = model.forward_with_frames(x)
            loss = torch.nn.functional.binary_cross_entropy_with_logits(clip.float(), y)
            loss = loss + torch.nn.functional.binary_cross_entropy_with_logits(frames.float(), y_steps)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    return time_it(step, repeat=repeat, warmup=2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=32, help="clips per step (default %(default)s, the recipe's)")
    parser.add_argument("--classes", type=int, default=27, help="default %(default)s")
    parser.add_argument("--repeat", type=int, default=5, help="timed steps per case (default %(default)s)")
    parser.add_argument("--wider", action="store_true", help="also time a 256-wide, 6-block encoder")
    args = parser.parse_args()
    print(machine())
    print(f"native bf16: {native_bf16()}; batch {args.batch}, {args.classes} classes")
    cases = [("shipped 192x4", SHIPPED)] + ([("wider 256x6", WIDER)] if args.wider else [])
    for name, sizes in cases:
        base = None
        for precision in ("fp32", "bf16"):
            med = statistics.median(step_seconds(sizes, precision, args.batch, args.classes, args.repeat))
            base = base or med
            print(f"{name:14s} {precision}: {med:7.3f} s/step  ({base / med:5.2f}x fp32)")


if __name__ == "__main__":
    main()
