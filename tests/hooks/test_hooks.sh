#!/bin/sh
# The kernel hooks (hooks/) against a temporary root with a fake wdbootctl on PATH:
# the arguments each hook passes, nothing done where wdboot is not installed, and exit
# 0 whatever wdbootctl does. Usage: test_hooks.sh BUILD_HOOKS_DIR KERNEL_HOOK_LIB
set -u
hooks="$1"
lib="$2"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
failures=0
checks=0

fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}

mkdir -p "$tmp/bin" "$tmp/nobin"
cat >"$tmp/bin/wdbootctl" <<'FAKE'
#!/bin/sh
printf '%s|' "$@" >>"$FAKE_CALLS"
echo >>"$FAKE_CALLS"
exit "${FAKE_EXIT:-0}"
FAKE
chmod 755 "$tmp/bin/wdbootctl"

# A fresh root: an ESP at /boot/efi with wdboot on it, kernel 6.1.0-19-amd64 in /boot.
fresh_root() {
	root="$tmp/root"
	rm -rf "$root" "$tmp/calls" "$tmp/stage"
	mkdir -p "$root/boot/efi/EFI/wdboot" "$root/etc/kernel" "$tmp/stage"
	: >"$root/boot/efi/EFI/wdboot/wdboot.conf"
	: >"$root/boot/vmlinuz-6.1.0-19-amd64"
	: >"$root/boot/initrd.img-6.1.0-19-amd64"
	: >"$tmp/calls"
}

# run HOOK ARGS...: the hook with the test's environment; sets rc, calls, out.
run() {
	hook="$1"
	shift
	out="$(env WDBOOT_ROOT="$root" WDBOOT_HOOK_LIB="$lib" FAKE_CALLS="$tmp/calls" PATH="${TEST_PATH:-$tmp/bin}:/usr/bin:/bin" \
		sh "$hooks/$hook" "$@" 2>&1)"
	rc=$?
	calls="$(cat "$tmp/calls")"
}

expect() {  # expect WHAT EXPECTED_CALLS
	checks=$((checks + 1))
	[ "$rc" -eq 0 ] || fail "$1: exit $rc, not 0 ($out)"
	[ "$calls" = "$2" ] || fail "$1: wdbootctl called with
  [$calls]
not
  [$2]
output: $out"
}

expect_output() {  # expect_output WHAT TEXT
	checks=$((checks + 1))
	case "$out" in
		*"$2"*) ;;
		*) fail "$1: output lacks '$2': $out" ;;
	esac
}

esp="--esp|$tmp/root/boot/efi"
boot="$tmp/root/boot"

# --- /etc/kernel/postinst.d/zz-wdboot
fresh_root
run kernel/postinst.d/zz-wdboot 6.1.0-19-amd64 "$boot/vmlinuz-6.1.0-19-amd64"
expect "postinst" "$esp|kernel-add|6.1.0-19-amd64|$boot/vmlinuz-6.1.0-19-amd64|--initrd|$boot/initrd.img-6.1.0-19-amd64|"
fresh_root
run kernel/postinst.d/zz-wdboot 6.1.0-19-amd64
expect "postinst without an image path" "$esp|kernel-add|6.1.0-19-amd64|"
fresh_root
DEB_MAINT_PARAMS="'abort-upgrade' '6.1.0-18-amd64'" run kernel/postinst.d/zz-wdboot 6.1.0-19-amd64
expect "postinst, abort-upgrade" ""
fresh_root
export DEB_MAINT_PARAMS="'configure' ''"
run kernel/postinst.d/zz-wdboot 6.1.0-19-amd64 "$boot/vmlinuz-6.1.0-19-amd64"
unset DEB_MAINT_PARAMS
expect "postinst, configure" "$esp|kernel-add|6.1.0-19-amd64|$boot/vmlinuz-6.1.0-19-amd64|--initrd|$boot/initrd.img-6.1.0-19-amd64|"
fresh_root
export FAKE_EXIT=13
run kernel/postinst.d/zz-wdboot 6.1.0-19-amd64 "$boot/vmlinuz-6.1.0-19-amd64"
unset FAKE_EXIT
expect "postinst, wdbootctl fails" "$esp|kernel-add|6.1.0-19-amd64|$boot/vmlinuz-6.1.0-19-amd64|--initrd|$boot/initrd.img-6.1.0-19-amd64|"
expect_output "postinst, wdbootctl fails" "WARNING: 'wdbootctl kernel-add 6.1.0-19-amd64"
expect_output "postinst, wdbootctl fails" "failed (exit 13)"
fresh_root
rm "$root/boot/efi/EFI/wdboot/wdboot.conf"
run kernel/postinst.d/zz-wdboot 6.1.0-19-amd64
expect "postinst, wdboot not on the ESP" ""
expect_output "postinst, wdboot not on the ESP" "wdboot is not installed on this ESP, nothing to do"
fresh_root
rm -r "$root/boot/efi/EFI"
run kernel/postinst.d/zz-wdboot 6.1.0-19-amd64
expect "postinst, no ESP" ""
expect_output "postinst, no ESP" "no ESP"
fresh_root
TEST_PATH="$tmp/nobin" run kernel/postinst.d/zz-wdboot 6.1.0-19-amd64
expect "postinst, no wdbootctl" ""
expect_output "postinst, no wdbootctl" "wdbootctl is not installed, nothing to do"
fresh_root
run kernel/postinst.d/zz-wdboot
expect "postinst, no version" ""
expect_output "postinst, no version" "passed no kernel version"
fresh_root
out="$(env WDBOOT_ROOT="$root" WDBOOT_HOOK_LIB="$tmp/none.sh" PATH="$tmp/bin:/usr/bin:/bin" FAKE_CALLS="$tmp/calls" \
	sh "$hooks/kernel/postinst.d/zz-wdboot" 6.1.0-19-amd64 2>&1)"
rc=$?
calls="$(cat "$tmp/calls")"
expect "postinst, wdboot's files removed" ""
# agent.conf names another ESP and config path.
fresh_root
mkdir -p "$root/efi/EFI/other" "$root/etc/wdboot"
: >"$root/efi/EFI/other/my.conf"
printf 'esp = /efi   # the ESP\nconfig = \\EFI\\other\\my.conf\n' >"$root/etc/wdboot/agent.conf"
run kernel/postinst.d/zz-wdboot 6.1.0-19-amd64
expect "postinst, agent.conf's esp" "--esp|$tmp/root/efi|kernel-add|6.1.0-19-amd64|"

# --- /etc/kernel/postrm.d/zz-wdboot
fresh_root
run kernel/postrm.d/zz-wdboot 6.1.0-19-amd64 "$boot/vmlinuz-6.1.0-19-amd64"
expect "postrm" "$esp|kernel-remove|6.1.0-19-amd64|"
fresh_root
DEB_MAINT_PARAMS="'purge'" run kernel/postrm.d/zz-wdboot 6.1.0-19-amd64
expect "postrm, purge" ""
fresh_root
FAKE_EXIT=9 run kernel/postrm.d/zz-wdboot 6.1.0-19-amd64
expect "postrm, the booted kernel refused" "$esp|kernel-remove|6.1.0-19-amd64|"
expect_output "postrm, the booted kernel refused" "failed (exit 9)"

# --- /etc/initramfs/post-update.d/wdboot
fresh_root
run initramfs/post-update.d/wdboot 6.1.0-19-amd64 "$boot/initrd.img-6.1.0-19-amd64"
expect "post-update" "$esp|kernel-add|--refresh-only|6.1.0-19-amd64|$boot/vmlinuz-6.1.0-19-amd64|--initrd|$boot/initrd.img-6.1.0-19-amd64|"
fresh_root
run initramfs/post-update.d/wdboot 6.1.0-19-amd64
expect "post-update, no initrd path" ""
fresh_root
FAKE_EXIT=1 run initramfs/post-update.d/wdboot 6.1.0-19-amd64 "$boot/initrd.img-6.1.0-19-amd64"
expect_output "post-update, wdbootctl fails" "WARNING"
[ "$rc" -eq 0 ] || fail "post-update, wdbootctl fails: exit $rc"

# --- kernel-install's 90-wdboot.install
fresh_root
: >"$tmp/stage/initrd"
KERNEL_INSTALL_STAGING_AREA="$tmp/stage" run kernel-install/90-wdboot.install add 6.1.0-19-amd64 /boot/efi/x \
	"$boot/vmlinuz-6.1.0-19-amd64" "$tmp/ucode.img" "$tmp/my initrd.img"
expect "kernel-install add" "$esp|kernel-add|6.1.0-19-amd64|$boot/vmlinuz-6.1.0-19-amd64|--initrd|$tmp/ucode.img|--initrd|$tmp/my initrd.img|--initrd|$tmp/stage/initrd|"
fresh_root
printf 'root=UUID=1234  ro\n  quiet\n' >"$root/etc/kernel/cmdline"
echo 3 >"$root/etc/kernel/tries"
run kernel-install/90-wdboot.install add 6.1.0-19-amd64 /boot/efi/x "$boot/vmlinuz-6.1.0-19-amd64"
expect "kernel-install add, cmdline and tries" "$esp|kernel-add|6.1.0-19-amd64|$boot/vmlinuz-6.1.0-19-amd64|--options|root=UUID=1234 ro quiet|--tries|3|"
fresh_root
echo many >"$root/etc/kernel/tries"
run kernel-install/90-wdboot.install add 6.1.0-19-amd64 /boot/efi/x "$boot/vmlinuz-6.1.0-19-amd64"
expect "kernel-install add, bad tries" "$esp|kernel-add|6.1.0-19-amd64|$boot/vmlinuz-6.1.0-19-amd64|"
expect_output "kernel-install add, bad tries" "does not hold a number"
fresh_root
run kernel-install/90-wdboot.install remove 6.1.0-19-amd64 /boot/efi/x
expect "kernel-install remove" "$esp|kernel-remove|6.1.0-19-amd64|"
fresh_root
run kernel-install/90-wdboot.install inspect 6.1.0-19-amd64 /boot/efi/x
expect "kernel-install, another command" ""
fresh_root
FAKE_EXIT=13 run kernel-install/90-wdboot.install add 6.1.0-19-amd64 /boot/efi/x "$boot/vmlinuz-6.1.0-19-amd64"
expect_output "kernel-install, wdbootctl fails" "WARNING"
[ "$rc" -eq 0 ] || fail "kernel-install, wdbootctl fails: exit $rc"
fresh_root
rm "$root/boot/efi/EFI/wdboot/wdboot.conf"
run kernel-install/90-wdboot.install add 6.1.0-19-amd64 /boot/efi/x "$boot/vmlinuz-6.1.0-19-amd64"
expect "kernel-install, wdboot not installed" ""

echo "$checks checks, $failures failed"
[ "$failures" -eq 0 ]
