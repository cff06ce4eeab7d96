"""Writes the example's data: three classes of points on rings, which no straight line separates.

Deterministic (a seeded random.Random, no third-party package), so the committed data/ is exactly
what this script writes: `python3 make_data.py` rewrites it, and a test checks they agree.

Rows are `label,x1,x2,x3,x4` without a header. The class is the ring the point (x1, x2) lies on:
radius under 0.9 is class 0, 1.1 to 1.9 class 1, 2.1 to 3.0 class 2; x3 and x4 are noise.
"""
import argparse
import math
import os
import random

SEED = 18
RINGS = ((0.0, 0.9), (1.1, 1.9), (2.1, 3.0))
FEATURES = 4
TRAIN_ROWS_PER_CLASS = 200
TEST_ROWS_PER_CLASS = 50
HERE = os.path.dirname(os.path.abspath(__file__))


def rows(rng, per_class):
    """`per_class` rows of each class, shuffled: [label, x1, x2, x3, x4]."""
    out = []
    for label, (inner, outer) in enumerate(RINGS):
        for _ in range(per_class):
            radius = rng.uniform(inner, outer)
            angle = rng.uniform(0.0, 2.0 * math.pi)
            out.append([label, radius * math.cos(angle), radius * math.sin(angle), rng.gauss(0.0, 1.0), rng.gauss(0.0, 1.0)])
    rng.shuffle(out)
    return out


def to_csv(table):
    return "".join("{},{}\n".format(row[0], ",".join("{:.4f}".format(x) for x in row[1:])) for row in table)


def generate():
    """{file name: CSV text} for train.csv and test.csv."""
    rng = random.Random(SEED)
    return {"train.csv": to_csv(rows(rng, TRAIN_ROWS_PER_CLASS)), "test.csv": to_csv(rows(rng, TEST_ROWS_PER_CLASS))}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(HERE, "data"), help="folder to write train.csv and test.csv into (default: data/ here)")
    out = parser.parse_args().out
    os.makedirs(out, exist_ok=True)
    for name, text in generate().items():
        with open(os.path.join(out, name), "w") as f:
            f.write(text)
        print("wrote {} ({} rows)".format(os.path.join(out, name), text.count("\n")))


if __name__ == "__main__":
    main()
