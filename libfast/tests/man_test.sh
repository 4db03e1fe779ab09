#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#
# Check the man pages of libsysgenid and the sysgenid command:
#   1. every page renders with man-db, without a word on stderr and not empty
#      (".so" redirects included: man runs from the man directory, where
#      ".so man3/x.3" resolves);
#   2. every symbol of the version script, and the inline sysgenid_changed,
#      has a page man3/NAME.3 whose NAME section (the target's, for a ".so"
#      page) names it;
#   3. sysgenid.1 names every subcommand, every option and every exit status
#      of tools/sysgenid.c, read from the code itself.
# KTAP output, one line per check, through the kernel's
# kselftest/ktap_helpers.sh (KTAP_HELPERS, by default the one of the repo's
# build/linux: `make kernel-tree`); exit 1 on any failure, 4 if man(1) is
# missing.
#
# usage: man_test.sh [MANDIR [MAPFILE [CLI_SOURCE]]]
#   MANDIR      directory with man1/ man3/ man4/     (default: ../man)
#   MAPFILE     the version script                   (default: ../libsysgenid.map)
#   CLI_SOURCE  the sysgenid command's source        (default: ../tools/sysgenid.c)
# Defaults are relative to this script, so the source tree's pages and an
# installed $(MANDIR) can both be checked.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
mandir=${1:-$here/../man}
map=${2:-$here/../libsysgenid.map}
cli_src=${3:-$here/../tools/sysgenid.c}
# shellcheck source=/dev/null
. "${KTAP_HELPERS:-$(cd "$here/../.." && pwd)/build/linux/tools/testing/selftests/kselftest/ktap_helpers.sh}"

ktap_print_header
for f in "$map" "$cli_src"; do
	[ -f "$f" ] || ktap_exit_fail_msg "no such file: $f"
done
[ -d "$mandir" ] || ktap_exit_fail_msg "no such directory: $mandir"
mandir=$(cd "$mandir" && pwd)

if ! command -v man > /dev/null 2>&1; then
	ktap_skip_all "man(1) not found"
	exit "$KSFT_SKIP"
fi

# Only the command line decides how pages are rendered.
unset MANOPT MANROFFOPT MAN_KEEP_FORMATTING MANPAGER PAGER GROFF_SGR || true

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

report() {	# report OK(0|1) DESCRIPTION DIAGNOSTIC-FILE
	if [ "$1" -eq 0 ]; then
		ktap_test_pass "$2"
	else
		if [ -s "$3" ]; then
			sed 's/^/# /' "$3"
		fi
		ktap_test_fail "$2"
	fi
}

# Everything to check, gathered first so the plan can lead.

pages=
for f in "$mandir"/man[0-9]*/*; do
	[ -f "$f" ] || continue
	pages="$pages ${f#"$mandir"/}"
done

# The names between "global:" and "local:" of the version script.
symbols=$(awk '
	/global:/ { g = 1; next }
	/local:/  { g = 0 }
	g && /^[[:space:]]*[A-Za-z_][A-Za-z0-9_]*[[:space:]]*;/ {
		gsub(/[[:space:];]/, ""); print
	}' "$map")
symbols="$symbols sysgenid_changed"

# Every string literal S in strcmp(X, "S") (the subcommands are compared
# with cmd, the options start with "-"), or in an option table's entry.
literals() {
	awk -v pat="$1" '{
		s = $0
		while (match(s, pat)) {
			m = substr(s, RSTART, RLENGTH)
			s = substr(s, RSTART + RLENGTH)
			sub(/^[^"]*"/, "", m)
			sub(/".*$/, "", m)
			print m
		}
	}' "$cli_src" | sort -u
}
subcommands=$(literals 'strcmp[(]cmd, *"[a-z][a-z]*"[)]')
# ... and the long options of the getopt_long() tables, as "--name".
options=$( { literals 'strcmp[(][^,]*, *"-[-a-zA-Z0-9]*"[)]'
	     literals '[{] *"[a-z][-a-z]*", *(no|required)_argument' | sed 's/^/--/'; } | sort -u)
# 0 and 1 to 5 as documented, plus whatever the code's EXIT_* constants say.
codes=$( { echo 0 1 2 3 4 5 | tr ' ' '\n'
	   sed -n 's/^[[:space:]]*EXIT_[A-Z_]*[[:space:]]*=[[:space:]]*\([0-9][0-9]*\).*/\1/p' \
		"$cli_src"; } | sort -un)

# Splitting into words is the point here; no name holds a glob character.
# shellcheck disable=SC2086
count() { set -- $1; echo $#; }
# One check per page, symbol, subcommand, option and exit status, plus two
# that the code yielded anything at all.
total=$(( $(count "$pages") + $(count "$symbols") + 2 + $(count "$subcommands") +
	  $(count "$options") + $(count "$codes") ))
ktap_set_plan "$total"

# 1. Rendering.  man-db reports a failed ".so" on stderr yet exits 0, so
# stderr must stay empty.
[ -n "$pages" ] || ktap_print_msg "no pages in $mandir"
for rel in $pages; do
	out=$tmp/$(echo "$rel" | tr / _).txt
	rc=0
	(cd "$mandir" && MANWIDTH=80 man --warnings -E UTF-8 -l "$rel") \
		> "$out" 2> "$tmp/err" || rc=$?
	ok=0
	if [ $rc -ne 0 ]; then
		echo "man exited with status $rc" >> "$tmp/err"
		ok=1
	fi
	[ -s "$tmp/err" ] && ok=1
	if ! grep -q '[^[:space:]]' "$out"; then
		echo "empty output" >> "$tmp/err"
		ok=1
	fi
	report $ok "$rel renders cleanly" "$tmp/err"
done

# 2. A page for every symbol.  The NAME section is the text from ".SH NAME"
# to the next ".SH", of the page itself or of the target of its ".so".
name_section() {
	awk '/^\.SH/ { inname = ($2 == "NAME" || $2 == "\"NAME\"") ; next }
	     inname' "$1"
}
word_in() {	# word_in WORD FILE: WORD appears as an identifier
	grep -Eq "(^|[^A-Za-z0-9_])$1([^A-Za-z0-9_]|$)" "$2"
}
for sym in $symbols; do
	page=$mandir/man3/$sym.3
	: > "$tmp/err"
	ok=1
	if [ ! -f "$page" ]; then
		echo "no man3/$sym.3" > "$tmp/err"
	else
		target=$page
		so=$(sed -n '1s/^\.so[[:space:]][[:space:]]*//p' "$page")
		if [ -n "$so" ]; then
			target=$mandir/$so
			[ -f "$target" ] || echo "man3/$sym.3: .so target $so does not exist" > "$tmp/err"
		fi
		if [ ! -s "$tmp/err" ]; then
			name_section "$target" > "$tmp/name"
			if word_in "$sym" "$tmp/name"; then
				ok=0
			else
				echo "${target#"$mandir"/}: NAME section does not name $sym" > "$tmp/err"
			fi
		fi
	fi
	report $ok "man 3 $sym" "$tmp/err"
done

# 3. sysgenid.1 against the code, on the rendered text with typographic
# hyphens and minus signs folded back to "-".
cli_txt=$tmp/man1_sysgenid.1.txt
hy=$(printf '\342\200\220')
minus=$(printf '\342\210\222')
if [ -f "$cli_txt" ]; then
	LC_ALL=C sed "s/$hy/-/g; s/$minus/-/g" "$cli_txt" > "$tmp/cli"
else
	: > "$tmp/cli"
	ktap_print_msg "man1/sysgenid.1 is missing or did not render"
fi
# EXIT STATUS: from its heading to the next unindented line.
awk '/^EXIT STATUS/ { e = 1; next } /^[^[:space:]]/ { e = 0 } e' "$tmp/cli" > "$tmp/exit"

# The checks, on the loops' $sub, $opt and $code.
subcommands_found() { [ -n "$subcommands" ]; }
options_found() { [ -n "$options" ]; }
shows_the_subcommand() { grep -Eq "sysgenid +$sub([^a-z]|$)" "$tmp/cli"; }
mentions_the_option() { grep -Eq -- "(^|[^-A-Za-z0-9])$opt([^-A-Za-z0-9]|$)" "$tmp/cli"; }
lists_the_exit_status() { grep -Eq "^[[:space:]]+$code([[:space:]]|$)" "$tmp/exit"; }

ktap_test_result "subcommands found in $(basename "$cli_src")" subcommands_found
ktap_test_result "options found in $(basename "$cli_src")" options_found
for sub in $subcommands; do
	ktap_test_result "sysgenid.1 shows the subcommand sysgenid $sub" shows_the_subcommand
done
for opt in $options; do
	ktap_test_result "sysgenid.1 mentions the option $opt" mentions_the_option
done
for code in $codes; do
	ktap_test_result "sysgenid.1 EXIT STATUS lists $code" lists_the_exit_status
done

ktap_finished
