#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# make patches: turn the overlay into a git format-patch series against the
# pristine linux-source-6.12 tree.  series/NNNN-*.txt name each patch's repo
# files ("Files: ...") and its commit message (after "---"); series/cover.txt
# is the cover letter.  Writes build/patches/ with a `series` file, and
# leaves the git tree in build/series-tree.
#
# A file can grow over several patches, so that each patch is one logical
# step: a patch that carries an early version of a file lists it under
# "Staged: ..." as well, and series/NNNN-*.stage is the diff (kernel tree
# paths, -p1) from the repo's final version to that early one.  The stage
# stays applied until a later patch lists the file again.
set -eu
repo=$(cd "$(dirname "$0")/.." && pwd)
tarball=/usr/src/linux-source-6.12.tar.xz
tree=$repo/build/series-tree
out=$repo/build/patches
# The series is signed off by, and MAINTAINERS names, whoever makes it.
placeholder="SysGenID developers <sysgenid@example.org>"
name=$(git -C "$repo" config user.name || echo "SysGenID developers")
email=$(git -C "$repo" config user.email || echo "sysgenid@example.org")
[ "$name <$email>" != "$placeholder" ] ||
	echo "mkpatches: no git identity: signing off as $placeholder (git config --global user.name/user.email)" >&2
export GIT_AUTHOR_NAME="$name" GIT_AUTHOR_EMAIL="$email"
export GIT_COMMITTER_NAME="$name" GIT_COMMITTER_EMAIL="$email"

# Every overlay file is finished by exactly one patch (an earlier one may
# carry it staged).
listed=$(sed -n 's/^Files: //p' "$repo"/series/0*.txt | tr ' ' '\n' | sort)
staged=$(sed -n 's/^Staged: //p' "$repo"/series/0*.txt | tr ' ' '\n' | sort)
dups=$(echo "$listed" | uniq -d | grep -vxF "${staged:-@@none@@}" || true)
[ -z "$dups" ] || { echo "mkpatches: in two patches: $dups" >&2; exit 1; }
all=$(cd "$repo" && find $(grep -v '^#' scripts/pathmap | cut -d' ' -f1) -type f 2>/dev/null | sort)
listed_file=$(mktemp)
echo "$listed" > "$listed_file"
missing=$(echo "$all" | comm -23 - "$listed_file")
rm -f "$listed_file"
[ -z "$missing" ] || { echo "mkpatches: in no patch of series/: $missing" >&2; exit 1; }

echo "  UNPACK  pristine tree for the series"
rm -rf "$tree" "$out"
mkdir -p "$tree" "$out"
tar -xJf "$tarball" -C "$tree" --strip-components=1
cd "$tree"
git init -q
git add -A -f && git commit -q -m "Linux $(make -s kernelversion) (Debian linux-source-6.12)"
git tag base

pristine=$(mktemp -d)
trap 'rm -rf "$pristine"' EXIT
files=
active=
for s in "$repo"/series/0*.txt; do
	mine=$(sed -n 's/^Files: //p' "$s")
	files="$files $mine"
	# A stage ends with the patch that lists its files again.
	still=
	for d in $active; do
		for f in $(sed -n 's/^Staged: //p' "${d%.stage}.txt"); do
			case " $mine " in *" $f "*) continue 2 ;; esac
		done
		still="$still $d"
	done
	active=$still
	# shellcheck disable=SC2086
	"$repo/scripts/overlay.sh" "$tree" "$pristine" --only $files > /dev/null
	[ -f "${s%.txt}.stage" ] && active="$active ${s%.txt}.stage"
	for d in $active; do
		patch -s -p1 --no-backup-if-mismatch < "$d" ||
			{ echo "mkpatches: $d does not apply to the final files; refresh it" >&2; exit 1; }
	done
	if grep -q "$placeholder" MAINTAINERS; then
		sed -i "s|$placeholder|$name <$email>|" MAINTAINERS
	fi
	git add -A -f
	{
		sed '1,/^---$/d' "$s"
		printf '\nSigned-off-by: %s <%s>\n' "$name" "$email"
	} | git commit -q -F -
	echo "  PATCH   $(git log -1 --format=%s)"
done
[ -z "$active" ] || { echo "mkpatches: no later patch finishes the files of$active" >&2; exit 1; }

# v1-v7 were Adrian Catangiu's (2020-2021): this is the next version.  Cc
# whom get_maintainer.pl names for the whole series, and the people of the
# earlier threads (series/cc.txt).
git diff base..HEAD > "$pristine/series.diff"
cc=$( (grep -v '^#' "$repo/series/cc.txt"
	scripts/get_maintainer.pl --no-git --no-git-fallback --no-rolestats \
		"$pristine/series.diff") | grep . | grep -vF "<$email>" |
	awk '{ k = tolower($0); sub(/.*</, "", k); sub(/>.*/, "", k) } !seen[k]++')
set --
while read -r who; do
	set -- "$@" "--cc=$who"
done <<CC
$cc
CC
git format-patch -q --cover-letter --thread --subject-prefix="PATCH v8" "$@" \
	-o "$out" base..HEAD
cover=$(ls "$out"/0000-*.patch)
subject=$(head -n 1 "$repo/series/cover.txt")
python3 - "$cover" "$repo/series/cover.txt" "$subject" <<'PY'
import sys
path, blurb_path, subject = sys.argv[1:]
blurb = open(blurb_path).read().split("\n", 2)[2]
text = open(path).read()
text = text.replace("*** SUBJECT HERE ***", subject).replace("*** BLURB HERE ***", blurb.rstrip())
open(path, "w").write(text)
PY
(cd "$out" && ls 0*.patch | grep -v '^0000-') > "$out/series"
echo "  SERIES  build/patches/ ($(wc -l < "$out/series") patches and a cover letter)"
