#!/usr/bin/env python3
"""PyTorch peer of `interplay bench --train`: the reference set-up of the interflow notebooks
(described below) on the CPU, timed the same way, so the two can be compared in one run.

Two MLPs b(t, x) and s(t, x) (input (t, x1, x2), Linear 3→256, ReLU, three 256→256 + ReLU blocks,
256→2), one Adam each (lr 2e-3), linear + Brownian interpolant, antithetic losses in the paper's
normalisation (docs/math.md §3.2, halves averaged), a fresh checkerboard batch every step.

    OMP_WAIT_POLICY=PASSIVE python3 benches/torch_reference.py --batch 1024 4096 --steps 30
    python3 benches/torch_reference.py --device cuda   # beside `interplay bench --train-device wgpu`

Prints one line per batch size: steps/s. Not part of the test suite.
"""
import argparse
import math
import time

import torch


def checkerboard(n):
    u1 = torch.rand(n)
    u2 = torch.rand(n)
    k = torch.randint(0, 2, (n,)).float()
    x1 = 4 * u1 - 2
    x2 = u2 - 2 * k + torch.remainder(torch.floor(x1), 2)
    return 2 * torch.stack([x1, x2], dim=1)


def mlp():
    layers = [torch.nn.Linear(3, 256), torch.nn.ReLU()]
    for _ in range(3):
        layers += [torch.nn.Linear(256, 256), torch.nn.ReLU()]
    layers.append(torch.nn.Linear(256, 2))
    return torch.nn.Sequential(*layers)


def step(b, s, ob, os_, n, t_min=1e-3):
    t = t_min + (1 - 2 * t_min) * torch.rand(n, 1)
    x0 = torch.randn(n, 2)
    x1 = checkerboard(n)
    z = torch.randn(n, 2)
    a, da = 1 - t, -torch.ones_like(t)
    be, dbe = t, torch.ones_like(t)
    g = torch.sqrt(t * (1 - t))
    dg = (1 - 2 * t) / (2 * g)
    i = a * x0 + be * x1
    di = da * x0 + dbe * x1
    nz = a * x0 + g * z
    s2 = a * a + g * g
    xp, xm, xmn = i + g * z, i - g * z, be * x1 - nz
    tt = torch.cat([t, t])
    bo = b(torch.cat([tt, torch.cat([xp, xm])], 1))
    bp, bm = bo[:n], bo[n:]
    lb = 0.5 * (0.5 * bp.pow(2) - (di + dg * z) * bp + 0.5 * bm.pow(2) - (di - dg * z) * bm).sum(1).mean()
    so = s(torch.cat([tt, torch.cat([xp, xmn])], 1))
    sp, sm = so[:n], so[n:]
    ts = nz / s2
    ls = 0.5 * (0.5 * sp.pow(2) + ts * sp + 0.5 * sm.pow(2) - ts * sm).sum(1).mean()
    ob.zero_grad()
    os_.zero_grad()
    (lb + ls).backward()
    ob.step()
    os_.step()
    return lb.item(), ls.item()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--batch", type=int, nargs="+", default=[1024, 4096])
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--device", default="cpu", help="cpu, or cuda for a GPU")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    # Every tensor and module below is made on this device; .item() in step() waits for it.
    torch.set_default_device(args.device)
    torch.manual_seed(0)
    for n in args.batch:
        b, s = mlp(), mlp()
        ob, os_ = torch.optim.Adam(b.parameters(), lr=2e-3), torch.optim.Adam(s.parameters(), lr=2e-3)
        for _ in range(3):
            step(b, s, ob, os_, n)
        start = time.perf_counter()
        for _ in range(args.steps):
            lb, ls = step(b, s, ob, os_, n)
        secs = time.perf_counter() - start
        print(f"torch {torch.__version__} reference MLP, batch {n}: {args.steps / secs:.2f} steps/s "
              f"(loss_b {lb:+.3f}, loss_s {ls:+.3f}, {args.device}, {torch.get_num_threads()} threads)")
        assert math.isfinite(lb) and math.isfinite(ls)


if __name__ == "__main__":
    main()
