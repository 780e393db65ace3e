"""One QEMU process of a scenario: q35, TCG, OVMF with the scenario's own VARS copy,
one watchdog (the i6300esb unless the scenario picks another: WATCHDOG_HARDWARE),
never a network card.

The serial console is read line by line as it arrives (each line timestamped with the
host's monotonic clock and appended to the scenario's log), and QEMU's QMP events
(WATCHDOG, RESET, SHUTDOWN) are collected with their times, so a test can wait for a
marker, kill the VM at a chosen instant (power cut), or measure a failover.
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time

OVMF_CODE = "/usr/share/OVMF/OVMF_CODE_4M.fd"
OVMF_VARS = "/usr/share/OVMF/OVMF_VARS_4M.fd"
# Secure Boot (Debian's ovmf): the SMM build and variables with PK, KEK and db holding
# Debian's snakeoil certificate (signing.SNAKEOIL_*), Secure Boot enforced.
OVMF_CODE_SECBOOT = "/usr/share/OVMF/OVMF_CODE_4M.secboot.fd"
OVMF_VARS_SNAKEOIL = "/usr/share/OVMF/OVMF_VARS_4M.snakeoil.fd"
QEMU = "qemu-system-x86_64"
_ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\x1b[=>c]")


def fresh_vars(path, secure_boot=False):
    """Gives the scenario its own writable NVRAM: a copy of OVMF's empty VARS file (with
    the snakeoil keys enrolled for Secure Boot)."""
    shutil.copyfile(OVMF_VARS_SNAKEOIL if secure_boot else OVMF_VARS, path)


def clean_line(raw):
    """A serial line as text: escape sequences, CRs and other controls dropped."""
    raw = _ANSI.sub(b"", raw)
    text = raw.decode("utf-8", "replace")
    return "".join(ch for ch in text if ch == "\t" or ch >= " ").strip()


class Timeout(Exception):
    pass


# The emulated watchdog hardware of each driver wdboot can be tested with (the
# `watchdog` keyword of wdboot.conf it is driven by, and QEMU's devices for it):
#   i6300esb  -device i6300esb
#   itco      the q35 LPC bridge's ICH9 TCO, allowed to reset (QEMU's noreboot strap is
#             on by default: hardware-notes.md)
#   wdat      the same TCO, described by an ACPI WDAT table (qemu/acpi/), so Linux uses
#             wdat_wdt and lpc_ich creates no iTCO device
#   ipmi      a simulated BMC behind a KCS interface at I/O 0xCA2 (SMBIOS type 38)
WATCHDOG_HARDWARE = ("i6300esb", "itco", "wdat", "ipmi")


def watchdog_args(hardware, images=None):
    if hardware == "i6300esb":
        return ["-device", "i6300esb"]
    if hardware == "itco":
        return ["-global", "ICH9-LPC.noreboot=false"]
    if hardware == "wdat":
        return ["-global", "ICH9-LPC.noreboot=false",
                "-acpitable", f"file={os.path.join(images, 'wdat-q35-tco.aml')}"]
    if hardware == "ipmi":
        return ["-device", "ipmi-bmc-sim,id=bmc0", "-device", "isa-ipmi-kcs,bmc=bmc0"]
    raise ValueError(f"unknown watchdog hardware {hardware!r}")


class Vm:
    def __init__(self, name, workdir, disk, vars_path, limit_s, watchdog_action="reset",
                 extra_args=(), hardware="i6300esb", images=None, secure_boot=False, tpm=False):
        self.name = name
        self.workdir = workdir
        self.disk = disk
        self.vars_path = vars_path
        self.limit_s = limit_s
        self.watchdog_action = watchdog_action
        self.extra_args = list(extra_args)
        self.hardware = hardware
        self.images = images
        self.secure_boot = secure_boot
        # A TPM 2.0 (tpm-tis) backed by swtpm, whose state lives in the scenario's
        # directory across this scenario's VMs; one swtpm per QEMU start.
        self.tpm = tpm
        self.tpm_dir = os.path.join(workdir, "tpm")
        self.swtpm = None
        self.lines = []    # (monotonic time, text)
        self.events = []   # (monotonic time, QMP event name, data)
        self.cond = threading.Condition()
        self.proc = None
        self.serial_done = False  # QEMU closed the serial pipe: it has exited
        self.started = None
        self.log_path = os.path.join(workdir, f"{name}.serial.log")
        self.qmp_path = os.path.join(workdir, f"{name}.qmp")

    def command(self):
        # Secure Boot: the secboot firmware needs SMM and its flash marked secure, so that
        # only SMM code can write the authenticated variables (hardware-notes.md).
        machine = ["-machine", "q35,smm=on", "-global", "driver=cfi.pflash01,property=secure,value=on"] \
            if self.secure_boot else ["-machine", "q35"]
        code = OVMF_CODE_SECBOOT if self.secure_boot else OVMF_CODE
        return [
            "timeout", "--signal=KILL", str(int(self.limit_s) + 5),
            QEMU] + machine + ["-accel", "tcg", "-m", "512", "-smp", "1",
            "-nodefaults", "-no-user-config", "-display", "none", "-nic", "none",
            "-drive", f"if=pflash,format=raw,unit=0,readonly=on,file={code}",
            "-drive", f"if=pflash,format=raw,unit=1,file={self.vars_path}",
            "-drive", f"if=none,id=disk0,format=raw,file={self.disk}",
            "-device", "virtio-blk-pci,drive=disk0",
        ] + watchdog_args(self.hardware, self.images) + [
            "-action", f"watchdog={self.watchdog_action}",
            "-chardev", "stdio,id=ser0,signal=off", "-serial", "chardev:ser0",
            "-qmp", f"unix:{self.qmp_path},server=on,wait=off",
        ] + self._tpm_args() + self.extra_args

    def _tpm_args(self):
        if not self.tpm:
            return []
        return ["-chardev", f"socket,id=chrtpm,path={os.path.join(self.tpm_dir, 'swtpm-sock')}",
                "-tpmdev", "emulator,id=tpm0,chardev=chrtpm", "-device", "tpm-tis,tpmdev=tpm0"]

    def _start_swtpm(self):
        """swtpm (Debian's swtpm package) as a TPM 2.0 on a UNIX socket; it ends with QEMU
        (--terminate)."""
        os.makedirs(self.tpm_dir, exist_ok=True)
        sock = os.path.join(self.tpm_dir, "swtpm-sock")
        if os.path.exists(sock):
            os.unlink(sock)
        self.swtpm = subprocess.Popen(
            ["timeout", "--signal=KILL", str(int(self.limit_s) + 10), "swtpm", "socket", "--tpm2",
             "--tpmstate", f"dir={self.tpm_dir}", "--ctrl", f"type=unixio,path={sock}",
             "--log", f"file={os.path.join(self.tpm_dir, 'swtpm.log')},level=1", "--terminate"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            start_new_session=True)
        deadline = time.monotonic() + 10
        while not os.path.exists(sock):
            if self.swtpm.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"swtpm did not start: {self.swtpm.stderr.read().decode(errors='replace')}")
            time.sleep(0.05)

    def start(self):
        if os.path.exists(self.qmp_path):
            os.unlink(self.qmp_path)
        if self.tpm:
            self._start_swtpm()
        self.log = open(self.log_path, "a", encoding="utf-8")
        self.log.write(f"=== {self.name}: {' '.join(self.command())}\n")
        self.started = time.monotonic()
        # stdin stays an open pipe: QEMU's stdio chardev must not see EOF.
        # Own session: a power cut kills timeout(1) and QEMU together (killpg).
        self.proc = subprocess.Popen(self.command(), stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     start_new_session=True)
        threading.Thread(target=self._read_serial, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()
        threading.Thread(target=self._read_qmp, daemon=True).start()
        return self

    def _add_line(self, text):
        now = time.monotonic()
        with self.cond:
            self.lines.append((now, text))
            self.log.write(f"[{now - self.started:8.3f}] {text}\n")
            self.log.flush()
            self.cond.notify_all()

    def _read_serial(self):
        buf = b""
        while True:
            chunk = self.proc.stdout.read1(4096)
            if not chunk:
                break
            buf += chunk
            while b"\n" in buf:
                raw, buf = buf.split(b"\n", 1)
                text = clean_line(raw)
                if text:
                    self._add_line(text)
        if buf.strip():
            self._add_line(clean_line(buf))
        with self.cond:
            self.serial_done = True
            self.cond.notify_all()

    def _read_stderr(self):
        for raw in self.proc.stderr:
            self._add_line("[qemu] " + raw.decode("utf-8", "replace").rstrip())

    def _read_qmp(self):
        sock = None
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                sock.connect(self.qmp_path)
                break
            except OSError:
                sock.close()
                sock = None
                time.sleep(0.05)
        if sock is None:
            return
        f = sock.makefile("rwb", buffering=0)
        f.write(b'{"execute": "qmp_capabilities"}\n')
        for raw in f:
            try:
                msg = json.loads(raw)
            except ValueError:
                continue
            if "event" in msg:
                now = time.monotonic()
                with self.cond:
                    self.events.append((now, msg["event"], msg.get("data", {})))
                    self.log.write(f"[{now - self.started:8.3f}] [qmp] {msg['event']} "
                                   f"{json.dumps(msg.get('data', {}))}\n")
                    self.log.flush()
                    self.cond.notify_all()
        sock.close()

    # --- waiting -------------------------------------------------------------------

    def wait_for(self, pattern, timeout, start=0):
        """Waits for a serial line matching `pattern` (regex) at index >= start.
        Returns (index, re.Match). Raises Timeout, or Timeout if QEMU exits first."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        i = start
        with self.cond:
            while True:
                while i < len(self.lines):
                    m = rx.search(self.lines[i][1])
                    if m:
                        return i, m
                    i += 1
                left = deadline - time.monotonic()
                if left <= 0:
                    raise Timeout(f"{self.name}: no line matching {pattern!r} within {timeout:.0f} s")
                if self.serial_done:
                    raise Timeout(f"{self.name}: QEMU exited (rc {self.proc.returncode}) "
                                  f"before a line matching {pattern!r}")
                self.cond.wait(min(left, 0.2))

    def wait_exit(self, timeout):
        """Waits for QEMU to exit by itself; returns its exit code. Raises Timeout."""
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise Timeout(f"{self.name}: QEMU still running after {timeout:.0f} s")
        time.sleep(0.3)  # let the readers drain the pipe
        return rc

    def kill(self):
        """Pulls the plug: SIGKILL, no chance for QEMU to flush anything of its own."""
        if self.proc and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(timeout=10)
        time.sleep(0.2)

    def close(self):
        self.kill()
        if self.swtpm and self.swtpm.poll() is None:
            os.killpg(self.swtpm.pid, signal.SIGKILL)
            self.swtpm.wait(timeout=10)
        self.log.close()

    def events_named(self, name):
        with self.cond:
            return [(t, d) for t, e, d in self.events if e == name]

    def text(self):
        with self.cond:
            return [t for _, t in self.lines]

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()
