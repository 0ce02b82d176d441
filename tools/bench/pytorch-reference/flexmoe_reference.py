#!/usr/bin/env python3
"""Plain-PyTorch CPU rendition of the published Flex-MoE training step (throughput reference).

This is a benchmark reference only: nothing in the repository's tests or packages uses it. It
rebuilds the model structure of the authors' PyTorch code (https://github.com/UNITES-Lab/flex-moe,
commit 8c82735, which runs its mixture of experts on FastMoE) with torch and numpy alone, so that
the TypeScript trainer's steps/s can be put next to PyTorch's on the same machine. The behaviours
of that code are listed in docs/reference-differences.md ("What the reference code does", items
1-26; "reference item N" below is that list); the rules our packages implement are
docs/algorithm.md. Where this port follows the published code rather than docs/algorithm.md,
the comment says so. See README.md next to this file for the figures and the caveats.

Run with Debian's interpreter (the one that has torch):
    /usr/bin/python3 tools/bench/pytorch-reference/flexmoe_reference.py --batch 8 --steps 40 --threads 1
    ... --profile     where a step's time goes
    ... --tune-malloc keep large freed blocks in the heap (see tune_malloc)
    ... --check       loss over 200 steps on one fixed batch (backward sanity check)
"""

import argparse
import ctypes
import itertools
import json
import math
import os
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

# ADNI-sized configuration (the same as tools/bench/train-step/adni-sized.mjs).
MODALITIES = [("image", 500), ("genomic", 2000), ("clinical", 300), ("biospecimen", 20)]


def combination_table(m):
    """docs/algorithm.md §1: all modalities = 0, then every (m-1)-subset, ..., then the singletons;
    each size group in itertools.combinations order over the modality positions."""
    table = {}
    for r in range(m, 0, -1):
        for comb in itertools.combinations(range(m), r):
            table[comb] = len(table)
    return table


# --------------------------------------------------------------------------------------------
# Encoders (reference item 7; docs/algorithm.md §2)
# --------------------------------------------------------------------------------------------
class PatchEmbeddings(nn.Module):
    """Zero-pad the features at the end to P*ceil(D/P), view as P patches, one shared Linear."""

    def __init__(self, feature_size, num_patches, embed_dim):
        super().__init__()
        self.patch_size = math.ceil(feature_size / num_patches)
        self.pad_size = num_patches * self.patch_size - feature_size
        self.num_patches = num_patches
        self.projection = nn.Linear(self.patch_size, embed_dim)

    def forward(self, x):
        x = F.pad(x, (0, self.pad_size)).view(x.shape[0], self.num_patches, self.patch_size)
        return self.projection(x)


# --------------------------------------------------------------------------------------------
# Noisy top-k gate with the Flex-MoE losses (reference items 10, 12-16; docs/algorithm.md §5-6)
# --------------------------------------------------------------------------------------------
def cv_squared(x):
    # Unbiased variance over squared mean; a single value gives 0 (as FastMoE).
    if x.shape[0] == 1:
        return torch.zeros(1)
    x = x.float()
    return x.var() / (x.mean() ** 2 + 1e-10)


class NoisyTopKGate(nn.Module):
    def __init__(self, d_model, num_expert, top_k):
        super().__init__()
        self.num_expert = num_expert
        self.top_k = top_k
        self.w_gate = nn.Parameter(torch.zeros(d_model, num_expert))
        self.w_noise = nn.Parameter(torch.zeros(d_model, num_expert))
        # FastMoE allocates zeros and then overwrites them: for a [d_model, E] tensor this is U(±1/sqrt(E)).
        nn.init.kaiming_uniform_(self.w_gate, a=math.sqrt(5))
        nn.init.kaiming_uniform_(self.w_noise, a=math.sqrt(5))
        self.noise_epsilon = 1e-2

    def _prob_in_top_k(self, clean, noisy, noise_stddev, top_values):
        # Smooth load estimate of Shazeer et al. (docs/algorithm.md §6 "Load").
        threshold_if_in = top_values[:, self.top_k : self.top_k + 1]
        threshold_if_out = top_values[:, self.top_k - 1 : self.top_k]
        is_in = noisy > threshold_if_in
        normal = torch.distributions.Normal(torch.tensor([0.0]), torch.tensor([1.0]))
        prob_if_in = normal.cdf((clean - threshold_if_in) / noise_stddev)
        prob_if_out = normal.cdf((clean - threshold_if_out) / noise_stddev)
        return torch.where(is_in, prob_if_in, prob_if_out)

    def forward(self, inp, comb_tokens, batch_comb):
        """inp [T, H]; comb_tokens [T] (combination per token, sample-major); batch_comb [B].
        Returns top-k indices [T, k], gate scores [T, k] and this call's router loss."""
        clean = inp @ self.w_gate
        noise_stddev = (F.softplus(inp @ self.w_noise) + self.noise_epsilon) * float(self.training)
        noisy = clean + torch.randn_like(clean) * noise_stddev
        top_logits, top_indices = noisy.topk(min(self.top_k + 1, self.num_expert), dim=1)
        top_k_indices = top_indices[:, : self.top_k]
        top_k_gates = F.softmax(top_logits[:, : self.top_k], dim=1)

        loss = torch.zeros(())
        full_tok = comb_tokens == 0
        any_partial = bool((batch_comb > 0).any())
        if any_partial:
            # S-router as in the published code (reference item 14): cross-entropy between the
            # noisy logits of all experts and the combination index, incomplete samples' tokens only.
            loss = loss + F.cross_entropy(noisy[~full_tok], comb_tokens[~full_tok])

        gates = torch.zeros_like(noisy).scatter(1, top_k_indices, top_k_gates)
        if self.top_k < self.num_expert and self.training:
            load = self._prob_in_top_k(clean, noisy, noise_stddev, top_logits)
        else:
            load = (gates > 0).float()

        if not any_partial:
            loss = loss + cv_squared(gates.sum(0)) + cv_squared(load.sum(0))
        else:
            # Loss composition of the published code (reference item 16): the balance over the
            # incomplete samples drops expert 0's column (docs/algorithm.md §6 masks top-1 instead).
            loss_full = cv_squared(gates[full_tok].sum(0)) + cv_squared(load[full_tok].sum(0))
            loss_part = cv_squared(gates[~full_tok, 1:].sum(0)) + cv_squared(load[~full_tok, 1:].sum(0))
            loss = loss + loss_full + loss_part
        return top_k_indices, top_k_gates, loss.reshape(())


# --------------------------------------------------------------------------------------------
# Experts: FastMoE-style stacked weights, computed sparsely (reference items 11, 12)
# --------------------------------------------------------------------------------------------
class StackedLinear(nn.Module):
    """E linear layers in one [E, out, in] weight (FastMoE FMoELinear). kaiming_uniform_ on the
    3-D tensor takes fan_in = out*in, so the bound is 1/sqrt(out*in); biases start at zero."""

    def __init__(self, num_expert, in_feat, out_feat):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(num_expert, out_feat, in_feat))
        self.bias = nn.Parameter(torch.zeros(num_expert, out_feat))
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))

    def forward(self, rows, counts):
        return GroupedLinear.apply(rows, self.weight, self.bias, counts)


class GroupedLinear(torch.autograd.Function):
    """Rows grouped by expert (counts[e] consecutive rows each) times that expert's weight, in one
    op with one gradient buffer per weight, like FastMoE's fused expert linear. (Slicing
    weight[e] in autograd instead would make a full-size zero gradient per expert and add them up,
    which costs more than the products themselves.)"""

    @staticmethod
    def forward(ctx, rows, weight, bias, counts):
        out = rows.new_empty(rows.shape[0], weight.shape[1])
        start = 0
        for e, n in enumerate(counts):
            if n:
                torch.addmm(bias[e], rows[start : start + n], weight[e].t(), out=out[start : start + n])
                start += n
        ctx.save_for_backward(rows, weight)
        ctx.counts = counts
        return out

    @staticmethod
    def backward(ctx, grad_out):
        rows, weight = ctx.saved_tensors
        grad_out = grad_out.contiguous()
        grad_rows = torch.empty_like(rows)
        grad_w = torch.zeros_like(weight)
        grad_b = weight.new_zeros(weight.shape[0], weight.shape[1])
        start = 0
        for e, n in enumerate(ctx.counts):
            if n:
                g = grad_out[start : start + n]
                torch.mm(g, weight[e], out=grad_rows[start : start + n])
                torch.mm(g.t(), rows[start : start + n], out=grad_w[e])
                torch.sum(g, 0, out=grad_b[e])
                start += n
        return grad_rows, grad_w, grad_b, None


class SparseMoE(nn.Module):
    """Noisy top-k MoE over 2-layer GELU experts (H -> 2H -> H)."""

    def __init__(self, d_model, d_hidden, num_expert, top_k):
        super().__init__()
        self.num_expert = num_expert
        self.top_k = top_k
        # The published MoE builds one gate in its base class and then replaces it with the
        # router it keeps; the discarded one still consumed random numbers. Do the same draw.
        NoisyTopKGate(d_model, num_expert, top_k)
        self.htoh4 = StackedLinear(num_expert, d_model, d_hidden)
        self.h4toh = StackedLinear(num_expert, d_hidden, d_model)
        self.gate = NoisyTopKGate(d_model, num_expert, top_k)

    def forward(self, x, comb_tokens, batch_comb):
        shape = x.shape
        inp = x.reshape(-1, shape[-1])
        idx, score, loss = self.gate(inp, comb_tokens, batch_comb)
        k = self.top_k
        # Group the (token, slot) pairs by expert (stable order, as FastMoE's scatter), run each
        # expert on its own rows only, then put the rows back in (token, slot) order.
        flat = idx.reshape(-1)
        order = torch.argsort(flat, stable=True)
        counts = torch.bincount(flat, minlength=self.num_expert).tolist()
        rows = inp.index_select(0, torch.div(order, k, rounding_mode="floor"))
        h = F.gelu(self.htoh4(rows, counts))
        y_sorted = self.h4toh(h, counts)
        inverse = torch.empty_like(order)
        inverse[order] = torch.arange(order.numel())
        y = y_sorted.index_select(0, inverse).view(-1, k, shape[-1])
        out = torch.bmm(score.view(-1, 1, k), y).reshape(shape)
        return out, loss


# --------------------------------------------------------------------------------------------
# Fusion layer (reference items 1, 2, 4; compare docs/algorithm.md §4.2-4.3)
# --------------------------------------------------------------------------------------------
class Attention(nn.Module):
    def __init__(self, dim, num_heads, drop):
        super().__init__()
        self.num_heads = num_heads
        self.scale = (dim // num_heads) ** -0.5
        self.q = nn.Linear(dim, dim, bias=False)
        self.kv = nn.Linear(dim, dim * 2, bias=False)
        self.attn_drop = nn.Dropout(drop)
        self.proj = nn.Linear(dim, dim)
        self.proj_drop = nn.Dropout(drop)

    def forward(self, x):
        B, N, C = x.shape
        h = self.num_heads
        q = self.q(x).reshape(B, N, h, C // h).permute(0, 2, 1, 3)
        k, v = self.kv(x).reshape(B, N, 2, h, C // h).permute(2, 0, 3, 1, 4).unbind(0)
        attn = ((q @ k.transpose(-2, -1)) * self.scale).softmax(dim=-1)
        attn = self.attn_drop(attn)
        x = (attn @ v).transpose(1, 2).reshape(B, N, C)
        return self.proj_drop(self.proj(x))


class SparseEncoderLayer(nn.Module):
    def __init__(self, d_model, num_heads, num_expert, top_k, dropout):
        super().__init__()
        self.norm1 = nn.LayerNorm(d_model)
        self.norm2 = nn.LayerNorm(d_model)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)
        self.attn = Attention(d_model, num_heads, dropout)
        self.mlp = SparseMoE(d_model, 2 * d_model, num_expert, top_k)

    def forward(self, chunks, comb_tokens, batch_comb):
        sizes = [c.shape[1] for c in chunks]
        x = self.attn(self.norm1(torch.cat(chunks, dim=1)))
        # As published (reference item 1): the layer input is not added back; docs/algorithm.md
        # §4.2 keeps it. Same cost either way.
        x = x + self.dropout1(x)
        x = list(torch.split(x, sizes, dim=1))
        losses = []
        # One MoE call per modality block, same experts and router, own noise and loss (item 4).
        for i in range(len(x)):
            y, loss = self.mlp(self.norm2(x[i]), comb_tokens, batch_comb)
            x[i] = x[i] + self.dropout2(y)
            losses.append(loss)
        return x, losses


class FlexMoEReference(nn.Module):
    def __init__(self, widths, num_patches=16, hidden=128, heads=4, experts=16, top_k=4, classes=3,
                 dropout=0.5):
        super().__init__()
        m = len(widths)
        self.m, self.p, self.h = m, num_patches, hidden
        # Construction order as published: encoders, fusion network, then the bank.
        self.encoders = nn.ModuleList(PatchEmbeddings(w, num_patches, hidden) for w in widths)
        self.layer = SparseEncoderLayer(hidden, heads, experts, top_k, dropout)
        self.head = nn.Linear(hidden * m, classes)  # one Linear, no dropout (item 2, 6)
        self.pos_embed = nn.Parameter(torch.zeros(1, m * num_patches, hidden))
        # Missing-modality bank [2^M-1, M, P, H], N(0,1) (item 19; docs/algorithm.md §3).
        self.bank = nn.Parameter(torch.randn(2 ** m - 1, m, num_patches, hidden))

    def forward(self, feats, observed, comb):
        """feats: list of [B, D_m]; observed: [B, M] bool; comb: [B] long."""
        B = comb.shape[0]
        blocks = []
        for i, enc in enumerate(self.encoders):
            mask = observed[:, i]
            blk = torch.zeros(B, self.p, self.h)
            # Encoders see only the rows that have the modality (item 20); the others take the
            # bank entry of (observed combination, missing modality).
            if bool(mask.any()):
                blk[mask] = enc(feats[i][mask])
            if bool((~mask).any()):
                blk[~mask] = self.bank[comb[~mask], i]
            blocks.append(blk)
        x = torch.cat(blocks, dim=1)
        x = x + self.pos_embed
        chunks = list(torch.split(x, [self.p] * self.m, dim=1))
        comb_tokens = comb.repeat_interleave(self.p)  # sample-major, as reference item 13
        chunks, gate_losses = self.layer(chunks, comb_tokens, comb)
        pooled = torch.cat([c.mean(dim=1) for c in chunks], dim=1)
        return self.head(pooled), gate_losses


# --------------------------------------------------------------------------------------------
# Data and the training step
# --------------------------------------------------------------------------------------------
def random_batch(B, gen, table):
    """Even rows full-modality, odd rows keep each modality with probability 0.5 (the first if
    none), as tools/bench/train-step/adni-sized.mjs. Features N(0,1), labels uniform in 3."""
    m = len(MODALITIES)
    observed = np.zeros((B, m), dtype=bool)
    for b in range(B):
        for i in range(m):
            observed[b, i] = b % 2 == 0 or gen.random() < 0.5
        if not observed[b].any():
            observed[b, 0] = True
    comb = [table[tuple(int(i) for i in np.flatnonzero(observed[b]))] for b in range(B)]
    feats = [torch.from_numpy(gen.standard_normal((B, w)).astype(np.float32)) for _, w in MODALITIES]
    labels = torch.from_numpy(gen.integers(0, 3, size=B).astype(np.int64))
    return feats, torch.from_numpy(observed), torch.tensor(comb, dtype=torch.long), labels


def train_step(model, opt, batch, timers=None):
    feats, observed, comb, labels = batch
    t0 = time.perf_counter()
    opt.zero_grad(set_to_none=True)
    logits, gate_losses = model(feats, observed, comb)
    task = F.cross_entropy(logits, labels)
    loss = task + 0.01 * torch.stack(gate_losses).sum()
    t1 = time.perf_counter()
    loss.backward()
    t2 = time.perf_counter()
    opt.step()
    t3 = time.perf_counter()
    if timers is not None:
        timers["forward+loss"].append(t1 - t0)
        timers["backward"].append(t2 - t1)
        timers["adam"].append(t3 - t2)
    return float(loss), float(task)


def blas_libraries():
    try:
        with open("/proc/self/maps") as f:
            libs = {line.split()[-1] for line in f if "blas" in line.lower() and "/" in line}
        return sorted(libs)
    except OSError:
        return []


def set_openblas_threads(n):
    """Debian's torch calls the system BLAS, whose thread pool torch.set_num_threads does not
    control. Set it too when the BLAS is OpenBLAS; returns its thread count (None if not OpenBLAS)."""
    for path in blas_libraries():
        if "openblas" in os.path.basename(path):
            lib = ctypes.CDLL(path)
            lib.openblas_set_num_threads(n)
            return lib.openblas_get_num_threads()
    return None


def tune_malloc():
    """Keep freed large blocks in glibc's heap instead of returning them to the kernel. By default
    every buffer above the (adaptive) mmap threshold is a fresh mapping, so each step page-faults
    its way through the multi-MiB gradient buffers of the stacked expert weights; on this machine
    that is about half of the step. Same as starting with MALLOC_MMAP_THRESHOLD_ and
    MALLOC_TRIM_THRESHOLD_ set; an allocator such as jemalloc or tcmalloc has a similar effect."""
    libc = ctypes.CDLL("libc.so.6")
    m_trim_threshold, m_mmap_threshold = -1, -3
    ok = libc.mallopt(m_mmap_threshold, 256 << 20) == 1
    return ok and libc.mallopt(m_trim_threshold, 512 << 20) == 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--steps", type=int, default=60, help="timed steps")
    ap.add_argument("--warmup", type=int, default=5, help="untimed steps first")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--blas-threads", type=int, default=None,
                    help="OpenBLAS's own thread pool (default: --threads)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--batches", type=int, default=16, help="distinct random batches, cycled")
    ap.add_argument("--tune-malloc", action="store_true",
                    help="glibc mallopt: no mmap/trim for blocks up to 256 MiB (see tune_malloc)")
    ap.add_argument("--profile", action="store_true", help="where a step's time goes")
    ap.add_argument("--check", action="store_true", help="loss over --check-steps on one fixed batch")
    ap.add_argument("--check-steps", type=int, default=200)
    args = ap.parse_args()

    malloc_tuned = tune_malloc() if args.tune_malloc else False
    torch.set_num_threads(args.threads)
    openblas_threads = set_openblas_threads(args.blas_threads or args.threads)
    torch.manual_seed(args.seed)
    gen = np.random.default_rng(args.seed + 123)
    table = combination_table(len(MODALITIES))

    model = FlexMoEReference([w for _, w in MODALITIES])
    model.train()
    params = sum(p.numel() for p in model.parameters())
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)

    if args.check:
        batch = random_batch(args.batch, gen, table)
        every = max(1, args.check_steps // 10)
        first = None
        for s in range(args.check_steps):
            loss, task = train_step(model, opt, batch)
            first = first if first is not None else (loss, task)
            if s % every == 0 or s == args.check_steps - 1:
                print(f"step {s:4d}  loss {loss:.4f}  task CE {task:.4f}", flush=True)
        print(json.dumps({"check": True, "batch": args.batch, "steps": args.check_steps,
                          "first_loss": round(first[0], 4), "last_loss": round(loss, 4),
                          "first_task": round(first[1], 4), "last_task": round(task, 4),
                          "decreased": loss < first[0]}))
        return

    batches = [random_batch(args.batch, gen, table) for _ in range(args.batches)]
    load_before = os.getloadavg()
    for s in range(args.warmup):
        train_step(model, opt, batches[s % len(batches)])
    timers = {"forward+loss": [], "backward": [], "adam": []} if args.profile else None
    times = []
    for s in range(args.steps):
        t = time.perf_counter()
        train_step(model, opt, batches[(args.warmup + s) % len(batches)], timers)
        times.append(time.perf_counter() - t)
    load_after = os.getloadavg()

    med = statistics.median(times) * 1e3
    result = {
        "torch": torch.__version__,
        "blas": [os.path.basename(p) for p in blas_libraries()],
        "threads": torch.get_num_threads(),
        "openblas_threads": openblas_threads,
        "malloc_tuned": malloc_tuned,
        "batch": args.batch,
        "steps": args.steps,
        "parameters": params,
        "ms_per_step_median": round(med, 2),
        "ms_per_step_min": round(min(times) * 1e3, 2),
        "samples_per_s_at_median": round(args.batch / (med / 1e3), 1),
        "loadavg_before": [round(v, 2) for v in load_before],
        "loadavg_after": [round(v, 2) for v in load_after],
    }
    print(f"parameters: {params:,}", file=sys.stderr)
    print(json.dumps(result), flush=True)

    if args.profile:
        for name, ts in timers.items():
            print(f"  {name:13s} median {statistics.median(ts) * 1e3:7.2f} ms")
        batch = batches[0]
        with torch.autograd.profiler.profile() as prof:
            for _ in range(5):
                train_step(model, opt, batch)
        print("  top ops over 5 steps (self CPU time):")
        print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=12))


if __name__ == "__main__":
    main()
