#!/usr/bin/env bash
# Usage: package_test.sh BUILD_DIR
# Builds the Debian package from BUILD_DIR with cpack, fails on any lintian error or warning (a justified warning
# belongs in an override file the package installs in /usr/share/lintian/overrides), installs it with apt-get,
# runs the installed certfleet as a user would, and purges it. Whatever happens, the package is not left
# installed and the scratch directory is removed.
set -euo pipefail
readonly build_dir=$1
readonly skip=77  # SKIP_RETURN_CODE in tests/package/CMakeLists.txt
readonly subject=pkg-test.example  # short enough for the table's subject column

fail() {
  echo "package test: FAIL: $*" >&2
  exit 1
}
if [ "$(id -u)" -ne 0 ]; then
  echo "package test: SKIP: installing the package needs root (apt-get install); CI runs the tests as root" >&2
  exit $skip
fi
if dpkg-query -W -f='${Status}' certfleet 2>/dev/null | grep -q ' installed$'; then
  echo "package test: SKIP: a certfleet package is installed here already, which this test would replace and" \
    "purge; remove it (apt-get remove certfleet) to run the test" >&2
  exit $skip
fi
for tool in cpack lintian dpkg-shlibdeps apt-get man openssl; do
  command -v "$tool" >/dev/null || fail "$tool is missing: scripts/install-deps installs it"
done
[ -f /usr/share/bash-completion/bash_completion ] ||
  fail "/usr/share/bash-completion/bash_completion is missing: scripts/install-deps installs bash-completion"

scratch=$(mktemp -d)
cleanup() {
  # Anything installed now is this test's own (it skips when a certfleet package was there before).
  if dpkg-query -W certfleet >/dev/null 2>&1; then
    apt-get remove --purge -y -qq certfleet >/dev/null 2>&1 || echo "package test: could not purge certfleet" >&2
  fi
  rm -rf "$scratch"
}
trap cleanup EXIT
trap 'exit 143' TERM INT HUP  # so that a timeout or Ctrl-C still runs cleanup

echo "== cpack"
(cd "$scratch" && cpack -G DEB --config "$build_dir/CPackConfig.cmake" -B out) >"$scratch/cpack.log" 2>&1 ||
  { cat "$scratch/cpack.log" >&2; fail "cpack could not build the package (its output is above)"; }
shopt -s nullglob
debs=("$scratch"/out/certfleet_*.deb)
[ ${#debs[@]} -eq 1 ] || fail "expected one certfleet_*.deb from cpack, found: ${debs[*]:-none}"
readonly deb=${debs[0]}
version=$(dpkg-deb --field "$deb" Version)
architecture=$(dpkg-deb --field "$deb" Architecture)
[ "$(basename "$deb")" = "certfleet_${version}_${architecture}.deb" ] ||
  fail "$(basename "$deb") is not named certfleet_VERSION_ARCH.deb ($version, $architecture)"
dpkg-deb --info "$deb"

echo "== lintian $(basename "$deb")"
lintian --fail-on error,warning --info "$deb" || fail "lintian reports errors or warnings (above)"

echo "== apt-get install"
# Every dependency is installed already (the build needed the same libraries), so apt fetches nothing; say which
# are missing rather than let apt go to the network for them.
apt-get install --simulate -y "$deb" >"$scratch/simulate.log" 2>&1 ||
  { cat "$scratch/simulate.log" >&2; fail "apt-get cannot install $deb (above)"; }
missing=$(awk '$1 == "Inst" && $2 != "certfleet" {print $2}' "$scratch/simulate.log" | tr '\n' ' ')
[ -z "$missing" ] || fail "the package's dependencies are not installed: ${missing}(scripts/install-deps does)"
apt-get install -y -qq "$deb" || fail "apt-get install $deb failed"

echo "== the installed certfleet"
[ -x /usr/bin/certfleet ] || fail "/usr/bin/certfleet is not installed"
/usr/bin/certfleet --version | tee "$scratch/version"
binary_version=$(awk 'NR == 1 {print $2}' "$scratch/version")
[[ $version == "$binary_version" || $version == "$binary_version+"* ]] ||
  fail "certfleet --version says $binary_version, the package is $version"

for page in certfleet certfleet-scan; do
  where=$(man -w "$page") ||
    fail "man -w $page finds no manual page (the build makes them: target certfleet_docs; or a dpkg path-exclude?)"
  [ "$where" = "/usr/share/man/man1/$page.1.gz" ] || fail "man -w $page: $where, not /usr/share/man/man1/$page.1.gz"
  echo "man -w $page: $where"
done

# certfleet sc<TAB> as an interactive bash does it: bash-completion loads the installed file by the command's
# name at the first TAB, then calls the function it registered with the words of the line.
readonly completion_file=/usr/share/bash-completion/completions/certfleet
[ -f $completion_file ] || fail "the package installs no $completion_file (the build makes it: target certfleet_docs)"
completions=$(bash --norc --noprofile -c '
  source /usr/share/bash-completion/bash_completion
  _completion_loader certfleet
  spec=$(complete -p certfleet) || { echo "no completion registered for certfleet" >&2; exit 1; }
  [[ $spec =~ -F\ ([^ ]+) ]] || { echo "not a completion function: $spec" >&2; exit 1; }
  COMP_LINE="certfleet sc" COMP_POINT=12 COMP_WORDS=(certfleet sc) COMP_CWORD=1 COMP_TYPE=9 COMP_KEY=9
  "${BASH_REMATCH[1]}" certfleet sc certfleet
  printf "%s\n" "${COMPREPLY[@]}"') || fail "bash completion of certfleet could not be loaded (above)"
[ "$(echo "$completions" | sed 's/ *$//')" = scan ] || fail "certfleet sc<TAB> completes to '$completions', not scan"
echo "certfleet sc<TAB>: $completions"

mkdir "$scratch/tree"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$subject" -days 30 \
  -keyout "$scratch/tree/leaf.key" -out "$scratch/tree/leaf.pem" 2>"$scratch/openssl.log" ||
  { cat "$scratch/openssl.log" >&2; fail "openssl could not make the test certificate"; }
/usr/bin/certfleet --db "$scratch/x.db" scan --files "$scratch/tree" --no-progress || fail "certfleet scan failed"
/usr/bin/certfleet --db "$scratch/x.db" inventory certs | tee "$scratch/certs"
grep -q "$subject" "$scratch/certs" || fail "inventory certs does not show the scanned certificate $subject"

echo "== apt-get remove --purge"
apt-get remove --purge -y -qq certfleet || fail "apt-get remove --purge certfleet failed"
[ ! -e /usr/bin/certfleet ] || fail "/usr/bin/certfleet is still there after purging the package"
echo "package test: OK ($(basename "$deb"))"
