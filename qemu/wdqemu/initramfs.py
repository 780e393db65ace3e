"""Builds the busybox test initramfs variants (good, panic, hang, noinit).

The cpio archive (newc, gzip) is written here rather than with cpio(1) so that it can
hold /dev/console and root-owned files without root: the kernel opens /dev/console for
/init before devtmpfs is mounted, and without it /init has no output at all.
"""
import gzip
import io
import os
import shutil

VARIANTS = ("good", "panic", "hang", "noinit")
BUSYBOX = "/bin/busybox"
# Modules /init loads, by file name; their dependencies are added from .modinfo.
MODULES = ("efivarfs",)
# Modules only the agent (modprobe i6300esb disarms the timer) or an explicit
# handoff:DRIVER action loads: installed under /lib/modules/<version>/ with a modules.dep
# for busybox modprobe, never loaded by /init on its own.
AGENT_MODULES = ("i6300esb", "lpc_ich", "iTCO_wdt", "wdat_wdt", "ipmi_si", "ipmi_devintf", "ipmi_watchdog")


class Cpio:
    """A newc archive built in memory."""

    def __init__(self):
        self.out = io.BytesIO()
        self.ino = 1

    def _entry(self, name, mode, data=b"", rdev=(0, 0)):
        name_b = name.encode() + b"\0"
        fields = [self.ino, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1], len(name_b), 0]
        self.ino += 1
        self.out.write(b"070701" + b"".join(b"%08X" % f for f in fields))
        self.out.write(name_b)
        self.out.write(b"\0" * (-(110 + len(name_b)) % 4))
        self.out.write(data)
        self.out.write(b"\0" * (-len(data) % 4))

    def directory(self, name):
        self._entry(name, 0o040755)

    def file(self, name, data, mode=0o644):
        self._entry(name, 0o100000 | mode, data)

    def symlink(self, name, target):
        self._entry(name, 0o120777, target.encode())

    def chardev(self, name, major, minor):
        self._entry(name, 0o020600, rdev=(major, minor))

    def finish(self):
        self._entry("TRAILER!!!", 0)
        return self.out.getvalue()


def modinfo_depends(path):
    """The `depends=` list of a kernel module, read from its .modinfo strings."""
    with open(path, "rb") as f:
        data = f.read()
    pos = data.find(b"\0depends=")
    if pos < 0:
        return []
    end = data.index(b"\0", pos + 1)
    value = data[pos + len(b"\0depends="):end].decode()
    return [d for d in value.split(",") if d]


def find_modules(moddir, names):
    """Module files for `names` and their dependencies, dependencies first."""
    index = {}
    for root, _, files in os.walk(os.path.join(moddir, "kernel")):
        for f in files:
            if f.endswith(".ko"):
                index[f[:-3].replace("-", "_")] = os.path.join(root, f)
    ordered = []

    def visit(name):
        key = name.replace("-", "_")
        if key not in index:
            raise RuntimeError(f"kernel module {name} not found under {moddir}")
        path = index[key]
        if path in ordered:
            return
        for dep in modinfo_depends(path):
            visit(dep)
        ordered.append(path)

    for n in names:
        visit(n)
    return ordered


def _stripped(path):
    """The bytes of an executable without symbols and debug info (the static agent is
    18 MB with them)."""
    import subprocess
    import tempfile

    with tempfile.NamedTemporaryFile() as tmp:
        subprocess.run(["objcopy", "--strip-all", path, tmp.name], check=True)
        return open(tmp.name, "rb").read()


def _add_agent(c, agent, kernel_dir, modules=AGENT_MODULES):
    c.file("bin/wdbootctl", _stripped(agent), 0o755)
    with open(os.path.join(kernel_dir, "version")) as f:
        kver = f.read().strip()
    moddir = os.path.join(kernel_dir, "modules")
    base = f"lib/modules/{kver}"
    c.directory(base)
    made = {base}
    dep_lines = []
    paths = find_modules(moddir, modules) if modules else []
    for path in paths:
        rel = os.path.relpath(path, moddir)
        parts = rel.split("/")[:-1]
        for i in range(len(parts)):
            d = f"{base}/" + "/".join(parts[: i + 1])
            if d not in made:
                c.directory(d)
                made.add(d)
        with open(path, "rb") as f:
            c.file(f"{base}/{rel}", f.read())
        # Every dependency, direct or not, as kmod writes modules.dep (busybox modprobe
        # loads what the line lists and does not recurse).
        needed, todo = set(), list(modinfo_depends(path))
        while todo:
            n = todo.pop().replace("-", "_")
            if n not in needed:
                needed.add(n)
                todo.extend(modinfo_depends(next(d for d in paths if os.path.basename(d)[:-3].replace("-", "_") == n)))
        deps = [os.path.relpath(d, moddir) for d in paths[: paths.index(path)]
                if os.path.basename(d)[:-3].replace("-", "_") in needed]
        dep_lines.append(f"{rel}: {' '.join(deps)}".rstrip())
    c.file(f"{base}/modules.dep", ("\n".join(dep_lines) + "\n").encode())


def base_archive(kernel_dir, tool, agent=None, early_dir="lib/modules", extra_dirs=(),
                 agent_modules=AGENT_MODULES):
    """The part every test initramfs shares: directories, console and null devices,
    busybox, wdtest-state, the early modules (efivarfs and its dependencies, numbered in
    load order under `early_dir` for /init's glob) and, with `agent`, the static
    wdbootctl with the watchdog modules it loads (`agent_modules`; with none, the
    modules.dep is empty and the agent's `modprobe i6300esb` fails)."""
    c = Cpio()
    for d in ("bin", "dev", "etc", "proc", "sys", "tmp", "run", "lib", "lib/modules") + tuple(extra_dirs):
        c.directory(d)
    c.chardev("dev/console", 5, 1)
    c.chardev("dev/null", 1, 3)
    with open(BUSYBOX, "rb") as f:
        c.file("bin/busybox", f.read(), 0o755)
    c.symlink("bin/sh", "busybox")
    with open(tool, "rb") as f:
        c.file("bin/wdtest-state", f.read(), 0o755)
    if agent:
        _add_agent(c, agent, kernel_dir, agent_modules)
    for i, path in enumerate(find_modules(os.path.join(kernel_dir, "modules"), MODULES)):
        with open(path, "rb") as f:
            c.file(f"{early_dir}/{i:02d}-{os.path.basename(path)}", f.read())
    return c


def write_archive(c, out_path):
    """Writes the archive gzip-compressed (reproducibly), replacing out_path atomically."""
    tmp = out_path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(gzip.compress(c.finish(), compresslevel=6, mtime=0))
    os.replace(tmp, out_path)


def build(variant, kernel_dir, tool, init_script, out_path, agent=None):
    """Writes the initramfs `variant` to out_path (gzip-compressed newc cpio). With
    `agent`, the static wdbootctl and the watchdog modules it loads are included."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown initramfs variant {variant}")
    c = base_archive(kernel_dir, tool, agent)
    c.file("etc/wdtest-variant", (variant + "\n").encode())
    if variant != "noinit":
        with open(init_script, "rb") as f:
            c.file("init", f.read(), 0o755)
    write_archive(c, out_path)


def main(argv):
    import argparse

    p = argparse.ArgumentParser(description="build the wdboot test initramfs variants")
    p.add_argument("--kernel-dir", required=True)
    p.add_argument("--tool", required=True, help="static wdtest-state binary")
    p.add_argument("--init", required=True, help="the /init script")
    p.add_argument("--out-dir", required=True)
    p.add_argument("--agent", default=None, help="static wdbootctl to include (optional)")
    args = p.parse_args(argv)
    os.makedirs(args.out_dir, exist_ok=True)
    for v in VARIANTS:
        build(v, args.kernel_dir, args.tool, args.init, os.path.join(args.out_dir, f"initrd-{v}.img"),
              args.agent)
    shutil.copyfile(os.path.join(args.kernel_dir, "vmlinuz"), os.path.join(args.out_dir, "vmlinuz"))
    return 0
