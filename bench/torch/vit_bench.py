"""PyTorch counterpart of paretune's model bench rows (bench/model.ts), driven by bench/torch.ts.

Reads one JSON argument: {"threads": n, "warmup": w, "cases": [{"preset", "batch", "repeats", "imageSize",
"patchSize", "hiddenSize", "numLayers", "numHeads", "intermediateSize", "layerNormEps", "numClasses", "mean",
"std"}]}.
Prints one JSON object: the torch version, the BLAS library loaded, the thread count and, per case, forward, train
and PGD rates in images/s (median of `repeats` timed calls after `warmup` untimed ones, as bench/timing.ts does).
The model is a Hugging Face style ViT (pre-norm blocks, exact GELU, CLS token, final LayerNorm) with random weights.
"""

import json
import statistics
import sys
import time

import torch
from torch import nn
from torch.nn import functional as F


class Block(nn.Module):
    def __init__(self, width, heads, mlp, eps):
        super().__init__()
        self.heads = heads
        self.norm_before = nn.LayerNorm(width, eps=eps)
        self.query = nn.Linear(width, width)
        self.key = nn.Linear(width, width)
        self.value = nn.Linear(width, width)
        self.attn_out = nn.Linear(width, width)
        self.norm_after = nn.LayerNorm(width, eps=eps)
        self.intermediate = nn.Linear(width, mlp)
        self.ffn_out = nn.Linear(mlp, width)

    def split_heads(self, x):
        batch, tokens, width = x.shape
        return x.view(batch, tokens, self.heads, width // self.heads).transpose(1, 2)

    def forward(self, x):
        h = self.norm_before(x)
        q, k, v = (self.split_heads(layer(h)) for layer in (self.query, self.key, self.value))
        scores = q @ k.transpose(-1, -2) / (q.shape[-1] ** 0.5)
        context = (scores.softmax(dim=-1) @ v).transpose(1, 2).reshape(x.shape)
        x = x + self.attn_out(context)
        return x + self.ffn_out(F.gelu(self.intermediate(self.norm_after(x))))


class VisionTransformer(nn.Module):
    def __init__(self, c):
        super().__init__()
        width = c["hiddenSize"]
        tokens = (c["imageSize"] // c["patchSize"]) ** 2 + 1
        self.patches = nn.Conv2d(3, width, c["patchSize"], stride=c["patchSize"])
        self.cls = nn.Parameter(torch.randn(1, 1, width) * 0.02)
        self.positions = nn.Parameter(torch.randn(1, tokens, width) * 0.02)
        eps = c["layerNormEps"]
        self.blocks = nn.Sequential(
            *(Block(width, c["numHeads"], c["intermediateSize"], eps) for _ in range(c["numLayers"]))
        )
        self.norm = nn.LayerNorm(width, eps=eps)
        self.classifier = nn.Linear(width, c["numClasses"])
        self.register_buffer("mean", torch.tensor(c["mean"]).view(1, -1, 1, 1))
        self.register_buffer("std", torch.tensor(c["std"]).view(1, -1, 1, 1))

    def forward(self, pixels):
        # [0, 1] pixels normalised with the preset's mean and std, as paretune's model does
        x = self.patches((pixels - self.mean) / self.std).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls.expand(x.shape[0], -1, -1), x], dim=1) + self.positions
        return self.classifier(self.norm(self.blocks(x))[:, 0])


def median_seconds(run, warmup, repeats):
    samples = []
    for i in range(warmup + repeats):
        start = time.perf_counter()
        run()
        if i >= warmup:
            samples.append(time.perf_counter() - start)
    return statistics.median_high(samples)  # the upper middle of an even count, as bench/timing.ts


def bench_case(c, warmup):
    torch.manual_seed(0)
    batch, size, repeats = c["batch"], c["imageSize"], c["repeats"]
    model = VisionTransformer(c)
    pixels = torch.rand(batch, 3, size, size)
    labels = torch.arange(batch) % c["numClasses"]
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)

    def forward():
        model.eval()
        with torch.no_grad():
            model(pixels)

    def train():
        model.train()
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(pixels), labels)
        loss.backward()
        optimizer.step()
        loss.item()

    adversarial = [pixels.clone()]

    def pgd():
        x = adversarial[0].requires_grad_(True)
        (grad,) = torch.autograd.grad(F.cross_entropy(model(x), labels), x)
        adversarial[0] = (x.detach() + grad.sign() * (0.25 / 255)).clamp_(0, 1)

    rates = {"forward": median_seconds(forward, warmup, repeats), "train": median_seconds(train, warmup, repeats)}
    model.eval()
    model.requires_grad_(False)  # an attack differentiates only with respect to the pixels
    rates["pgd"] = median_seconds(pgd, warmup, repeats)
    return {"preset": c["preset"], "batch": batch, **{k: batch / s for k, s in rates.items()}}


def loaded_blas():
    with open("/proc/self/maps", encoding="utf-8") as maps:
        names = sorted({line.split()[-1].rsplit("/", 1)[-1] for line in maps if "blas" in line.lower()})
    # Debian's libblas.so.3 is an alternative; the implementation behind it (e.g. libopenblasp) names the library
    return next((name for name in names if "openblas" in name), names[0] if names else None)


def main():
    request = json.loads(sys.argv[1])
    torch.set_num_threads(request["threads"])
    rows = [bench_case(c, request["warmup"]) for c in request["cases"]]
    run = {"torch": torch.__version__, "blas": loaded_blas(), "threads": torch.get_num_threads(), "rows": rows}
    print(json.dumps(run))


if __name__ == "__main__":
    main()
