# Shell functions shared by wdboot's kernel hooks (sourced, not run): is wdboot
# installed on this machine, and running wdbootctl so that a failure never fails the
# kernel package (a kernel that fails to configure is worse than a kernel wdboot does
# not know about). Installed as /usr/lib/wdboot/kernel-hook.sh. Every path goes
# through $WDBOOT_ROOT (empty on a real machine) so that tests run the hooks against a
# temporary root.

wdboot_say() {
	echo "wdboot: $*" >&2
}

# agent.conf's value of key $1 ("" when unset): the hooks look for the ESP where
# wdbootctl does.
wdboot_agent_conf() {
	conf="${WDBOOT_ROOT}/etc/wdboot/agent.conf"
	[ -r "$conf" ] || return 0
	sed -n "s/^[[:space:]]*$1[[:space:]]*=[[:space:]]*\\([^#]*\\).*/\\1/p" "$conf" | tail -n 1 | sed 's/[[:space:]]*$//'
}

# Sets WDBOOT_ESP to the ESP holding wdboot.conf, or says why not and returns 1:
# agent.conf's esp, else the first of /boot/efi, /efi, /boot with an EFI folder (the
# agent's own order).
wdboot_find_esp() {
	esp="$(wdboot_agent_conf esp)"
	if [ -z "$esp" ] || [ "$esp" = auto ]; then
		esp=
		for c in /boot/efi /efi /boot; do
			if [ -d "${WDBOOT_ROOT}$c/EFI" ]; then
				esp="$c"
				break
			fi
		done
	fi
	if [ -z "$esp" ]; then
		wdboot_say "no ESP with an EFI folder (/boot/efi, /efi, /boot): wdboot is not installed here, nothing to do"
		return 1
	fi
	config="$(wdboot_agent_conf config)"
	[ -n "$config" ] || config='\EFI\wdboot\wdboot.conf'
	# shellcheck disable=SC1003 # a backslash, not a quote
	config="$(printf '%s' "$config" | tr '\\' '/')"
	if [ ! -e "${WDBOOT_ROOT}${esp}${config}" ]; then
		wdboot_say "no ${esp}${config}: wdboot is not installed on this ESP, nothing to do"
		return 1
	fi
	WDBOOT_ESP="${WDBOOT_ROOT}${esp}"
	return 0
}

# Runs wdbootctl with the arguments; always returns 0. A failure is a warning that
# says what to run by hand.
wdboot_run() {
	if ! command -v "${WDBOOTCTL:-wdbootctl}" >/dev/null 2>&1; then
		wdboot_say "wdbootctl is not installed, nothing to do"
		return 0
	fi
	rc=0
	"${WDBOOTCTL:-wdbootctl}" --esp "$WDBOOT_ESP" "$@" >&2 || rc=$?
	if [ "$rc" -ne 0 ]; then
		wdboot_say "WARNING: 'wdbootctl $*' failed (exit $rc); the kernel is installed, but wdboot's slots are not" \
			"up to date: run it by hand once the problem above is fixed (wdbootctl status shows the slots)"
	fi
	return 0
}
