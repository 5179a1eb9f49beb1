/**
 * The shell side of ssh/files.ts: the scripts that read and write a customer-reachable file as root
 * without ever acting through the customer's links (see files.ts for the rules they keep).
 */

// The root side, shared by reads and writes. `plan_actors LIST` reads absolute paths (one a line) from
// the file LIST and prints one line per path: `A<TAB>uid:gid<TAB>path` (act as that account; 0:0 is
// root), `N<TAB><TAB>path` (a folder on the way is missing: the file is absent) or `R<TAB>reason<TAB>path`.
// Every folder prefix of every path is stat'ed in one process, without following links (no -L), and
// awk walks each path from / down: a link refuses the path, so does a root-owned folder others may write
// to, and the first folder a customer owns makes them the actor for everything below it.
export const SAFE_FILES_SHELL = String.raw`
plan_actors() {
  awk '{ n = split($0, a, "/"); q = ""; print "/"; for (i = 2; i < n; i++) { q = q "/" a[i]; print q } }' "$1" \
    | sort -u | tr '\n' '\000' | xargs -0 stat -c '%u|%g|%a|%F|%n' -- 2>/dev/null >"$1.stat"
  getent passwd | cut -d: -f3,4 >"$1.users"
  awk -F'|' '
    FILENAME == ARGV[1] { split($0, u, ":"); gidof[u[1]] = u[2]; next }
    FILENAME == ARGV[2] {
      name = $5; for (i = 6; i <= NF; i++) name = name "|" $i
      uid[name] = $1; gid[name] = $2; perm[name] = $3; type[name] = $4; next
    }
    {
      p = $0; n = split(p, a, "/"); q = ""; check = "/"; actor = "0:0"; verdict = ""
      for (i = 1; i < n; i++) {
        if (i > 1) { q = q "/" a[i]; check = q }
        if (!(check in type)) { verdict = "N\t"; break }
        if (type[check] == "symbolic link") { verdict = "R\tlink-in-path " check; break }
        if (type[check] != "directory") { verdict = "N\t"; break }
        if (uid[check] != "0") { g = (uid[check] in gidof) ? gidof[uid[check]] : gid[check]; actor = uid[check] ":" g; break }
        o = substr(perm[check], length(perm[check]), 1); gp = substr(perm[check], length(perm[check]) - 1, 1)
        if (o ~ /[2367]/ || (gid[check] != "0" && gp ~ /[2367]/)) { verdict = "R\tshared-directory " check; break }
      }
      if (verdict == "") verdict = "A\t" actor
      print verdict "\t" p
    }' "$1.users" "$1.stat" "$1"
}
as_actor() {
  a=$1; shift
  if [ "$a" = 0:0 ]; then sh -c "$@"; else setpriv --reuid="${'$'}{a%:*}" --regid="${'$'}{a#*:}" --clear-groups -- sh -c "$@"; fi
}
safe_read() {
  plan_actors "$1" >"$1.plan"
  grep -v '^A' "$1.plan"
  for a in $(grep '^A' "$1.plan" | cut -f2 | sort -u); do
    printf 'G\t%s\t\n' "$a"
    grep "^A	$a	" "$1.plan" | cut -f3- | as_actor "$a" '__READ_AS_ACTOR__' sh "$2"
  done
}
`;

// Every folder on the way checked again as the acting account: below a customer's first folder only
// they could have planted a link, and following it as them would still show the admin foreign content.
const NO_LINK_ON_THE_WAY = `
no_link_on_the_way() {
  rest=${'$'}{1#/}; q=
  while :; do
    part=${'$'}{rest%%/*}
    [ "$part" = "$rest" ] && return 0
    rest=${'$'}{rest#*/}; q=$q/$part
    if [ -L "$q" ]; then echo "$q"; return 1; fi
  done
}
`;

// Runs as the acting account with its paths on stdin: builtins decide per path, then one stat gives the
// sizes and one cat the bytes of every file under the cap, in stat's order (`F<TAB>mode uid gid size<TAB>path`
// lines, then one `B<TAB>base64` line). The caller splits the bytes by the sizes; a file that changed
// meanwhile makes the lengths disagree, and the whole group is refused.
const READ_AS_ACTOR = String.raw`
cap=$1
${NO_LINK_ON_THE_WAY}
files=
while IFS= read -r p; do
  if ! bad=$(no_link_on_the_way "$p"); then printf 'R\tlink-in-path %s\t%s\n' "$bad" "$p"; continue; fi
  if [ -L "$p" ]; then printf 'R\tlink\t%s\n' "$p"; continue; fi
  if [ ! -e "$p" ]; then printf 'N\t\t%s\n' "$p"; continue; fi
  if [ ! -f "$p" ]; then printf 'R\tnot-regular\t%s\n' "$p"; continue; fi
  if [ ! -r "$p" ]; then printf 'R\tunreadable\t%s\n' "$p"; continue; fi
  files="$files$p
"
done
[ -n "$files" ] || exit 0
ok=
total=0
stats=$(printf '%s' "$files" | tr '\n' '\000' | xargs -0 stat -c '%s|%a|%u|%g|%n' --)
while IFS='|' read -r size mode u g p; do
  [ -n "$size" ] || continue
  if [ "$size" -gt "$cap" ]; then printf 'R\ttoo-large %s bytes\t%s\n' "$size" "$p"; continue; fi
  printf 'F\t%s %s %s %s\t%s\n' "$mode" "$u" "$g" "$size" "$p"
  ok="$ok$p
"
  total=$((total + size))
done <<PP_STATS
$stats
PP_STATS
[ -n "$ok" ] || exit 0
printf 'B\t'
printf '%s' "$ok" | tr '\n' '\000' | xargs -0 cat -- 2>/dev/null | head -c "$((total + 1))" | base64 -w0
printf '\n'
`;

const quoteForSingle = (script: string): string => script.replace(/'/g, `'\\''`);

/**
 * The shell functions behind every read of a customer-reachable file, for remote scripts that read
 * files in bulk (the inventory): `safe_read LIST CAP` prints the records parseReadRecords decodes.
 */
export const SAFE_READ_SHELL = SAFE_FILES_SHELL.replace('__READ_AS_ACTOR__', quoteForSingle(READ_AS_ACTOR));

export const READ_SCRIPT = `${SAFE_READ_SHELL}
set -u
umask 077
t=$(mktemp -d) || exit 70
trap 'rm -rf "$t"' EXIT
cap=$1; shift
printf '%s\n' "$@" >"$t/list"
safe_read "$t/list" "$cap"
`;

// Runs as the acting account, for one path, with the new bytes on stdin (none for a removal). The guard
// is checked right before the rename, in this same process. `mv -T` renames onto the name itself: if the
// name became a link meanwhile, the link is replaced, never followed.
const WRITE_AS_ACTOR = `
p=$1; size=$2; guard=$3; mode=$4
${NO_LINK_ON_THE_WAY}
if ! bad=$(no_link_on_the_way "$p"); then echo "R link-in-path $bad"; exit 1; fi
cur=absent
if [ -L "$p" ]; then echo "R link"; exit 1; fi
if [ -e "$p" ] && [ ! -f "$p" ]; then echo "R not-regular"; exit 1; fi
if [ "$size" = - ]; then
  if [ -f "$p" ]; then cur=$(timeout 10 sha256sum -- "$p" | cut -c1-64); fi
  if [ "$guard" != - ] && [ "$cur" != "$guard" ]; then echo "C $cur"; exit 1; fi
  rm -f -- "$p" || { echo "E cannot remove"; exit 1; }
  echo "W"; exit 0
fi
d=${'$'}{p%/*}
tmp=$(mktemp "$d/.passenger-panel.XXXXXX") || { echo "E cannot create a temp file in $d"; exit 1; }
trap 'rm -f -- "$tmp"' EXIT
head -c "$size" >"$tmp" || { echo "E write failed (disk full?)"; exit 1; }
got=$(wc -c <"$tmp")
[ "$got" -eq "$size" ] || { echo "E short write: $got of $size bytes (disk full?)"; exit 1; }
if [ -L "$p" ]; then echo "R link"; exit 1; fi
if [ -f "$p" ]; then
  cur=$(timeout 10 sha256sum -- "$p" | cut -c1-64)
  chmod --reference="$p" -- "$tmp"
  if [ "$(id -u)" = 0 ]; then chown --reference="$p" -- "$tmp"; fi
else
  chmod "$mode" -- "$tmp"
fi
if [ "$guard" != - ] && [ "$cur" != "$guard" ]; then echo "C $cur"; exit 1; fi
sync -d -- "$tmp" 2>/dev/null || :
mv -f -T -- "$tmp" "$p" || { echo "E rename failed"; exit 1; }
trap - EXIT
echo "W"
`;

// Every actor is decided before anything is written; then one file at a time, its bytes cut from stdin
// by the root side and handed to the actor's process.
export const WRITE_SCRIPT = `${SAFE_FILES_SHELL}
set -u
umask 077
t=$(mktemp -d) || exit 70
trap 'rm -rf "$t"' EXIT
n=0
for x in "$@"; do
  n=$((n + 1))
  if [ $((n % 4)) = 1 ]; then printf '%s\n' "$x"; fi
done >"$t/list"
plan_actors "$t/list" >"$t/plan"
while [ $# -gt 0 ]; do
  p=$1; size=$2; guard=$3; mode=$4; shift 4
  kind=; actor=
  while IFS='	' read -r k a q; do
    if [ "$q" = "$p" ]; then kind=$k; actor=$a; break; fi
  done <"$t/plan"
  if [ "$kind" != A ]; then
    [ "$size" = - ] || head -c "$size" >/dev/null
    if [ "$kind" = R ]; then echo "R $actor"; else echo "E its folder does not exist"; fi
    exit 3
  fi
  if [ "$size" = - ]; then
    as_actor "$actor" '${quoteForSingle(WRITE_AS_ACTOR)}' sh "$p" - "$guard" "$mode" </dev/null || exit 3
  else
    head -c "$size" | as_actor "$actor" '${quoteForSingle(WRITE_AS_ACTOR)}' sh "$p" "$size" "$guard" "$mode" || exit 3
  fi
done
`;
