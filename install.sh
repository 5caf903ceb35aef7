#!/bin/sh
# Watchtower installer: downloads the release archive for this machine and the release's
# SHA256SUMS, refuses the archive unless its checksum matches, and installs Watchtower into
# ~/.local (or PREFIX): Deno's runtime and the bundled tools in lib/watchtower, and a launcher per
# tool in bin/ that this script writes for this user: the state directory the safe commands may
# write ($WATCHTOWER_DIR, default ~/.watchtower) and the PATH they find their real program on are
# filled in here, as `deno task install` does from a checkout. docs/install.md explains it all.
#
#   curl -fsSL https://github.com/watchtower-dev/watchtower/releases/latest/download/install.sh | sh
#   curl -fsSL …/install.sh | sh -s -- --version 0.2.0 --prefix /opt/watchtower --sudo
#   sh install.sh --uninstall
#
# Nothing is half-installed: the archive is verified and unpacked in a temporary directory, the
# new files are copied beside the old ones under temporary names (lib/watchtower as a sibling
# directory), the new `wt` must run, and only then is each renamed into place. Any failure before
# that leaves the prefix as it was.
#
# Exit codes (sysexits): 0 ok, 64 usage (or a prefix or state directory the launchers cannot hold),
# 65 bad download (checksum mismatch, truncated, not the expected archive), 69 unsupported platform
# or a missing program (curl/wget, tar, sha256) or a `wt` that does not run, 70 internal error,
# 73 the prefix cannot be written.
#
# Everything runs from `main`, called on the last line, so a download of this script cut short by
# the network runs nothing.

# The release this installer downloads from (a mirror keeps the same layout: see --help).
WATCHTOWER_RELEASES="https://github.com/watchtower-dev/watchtower/releases"

# A newline, for the character checks of has_unsafe.
NEWLINE='
'

usage() {
  cat <<'EOF'
Watchtower installer

Usage: sh install.sh [--prefix DIR] [--version V] [--sudo]
       sh install.sh --uninstall [--prefix DIR] [--sudo]
       curl -fsSL …/install.sh | sh -s -- [options]

Options:
  --prefix DIR   install into DIR/bin (default ~/.local, so ~/.local/bin)
  --version V    install release V (e.g. 0.2.0 or v0.2.0; default: the latest release)
  --sudo         write the prefix with sudo (never done unless asked)
  --uninstall    remove exactly the files this installer put in the prefix
  -h, --help     this text

Environment:
  WATCHTOWER_DOWNLOAD_URL  where releases are downloaded from (default
      https://github.com/watchtower-dev/watchtower/releases); a mirror serves
      latest/download/NAME and download/vVERSION/NAME, as GitHub does.
  WATCHTOWER_DIR  the state directory (default ~/.watchtower): the only directory the
      safe commands may write, written into the launchers now; install again to change it.

Exit codes: 0 ok, 64 usage (or a prefix or state directory the launchers cannot hold),
65 bad download, 69 unsupported platform or missing program, 70 internal error,
73 the prefix cannot be written.
EOF
}

say() {
  printf 'watchtower: %s\n' "$*"
}

warn() {
  printf 'watchtower: %s\n' "$*" >&2
}

# die CODE MESSAGE: the message on stderr, the cleanup (EXIT trap) removes every staged file.
die() {
  die_code=$1
  shift
  printf 'watchtower: %s\n' "$*" >&2
  exit "$die_code"
}

# Runs a command that writes the prefix: with sudo only when --sudo was given.
priv() {
  if [ "$USE_SUDO" = 1 ]; then
    sudo "$@"
  else
    "$@"
  fi
}

# exists FILE: whether FILE exists (as anything, a dangling link too).
exists() {
  [ -e "$1" ] || [ -L "$1" ]
}

# Removes what a failed or finished run leaves behind: the temporary directory and the staged
# copies (`.wt-new-PID-NAME`) beside the installed files; a previous lib/watchtower moved aside
# (`.wt-old-PID-watchtower`) goes back when the new one is not in place, else it is removed.
cleanup() {
  if [ -n "${STAGE_TAG:-}" ]; then
    for staged in "$BIN_DIR"/"$STAGE_TAG"* "$SHARE_DIR"/"$STAGE_TAG"*; do
      if [ -e "$staged" ]; then
        priv rm -f "$staged" 2>/dev/null || true
      fi
    done
    if exists "$LIB_STAGED"; then
      priv rm -rf "$LIB_STAGED" 2>/dev/null || true
    fi
    if exists "$LIB_OLD"; then
      if exists "$LIB_DIR"; then
        priv rm -rf "$LIB_OLD" 2>/dev/null || true
      else
        priv mv -f "$LIB_OLD" "$LIB_DIR" 2>/dev/null || true
      fi
    fi
  fi
  if [ -n "${TMP_DIR:-}" ] && [ -d "$TMP_DIR" ]; then
    # The directories this run made, if they are still empty (a failed first install).
    if [ -f "$TMP_DIR/created-dirs" ]; then
      while IFS= read -r made; do
        priv rmdir "$made" 2>/dev/null || true
      done <"$TMP_DIR/created-dirs"
    fi
    rm -rf "$TMP_DIR"
  fi
}

parse_args() {
  PREFIX=""
  VERSION=""
  USE_SUDO=0
  UNINSTALL=0
  while [ $# -gt 0 ]; do
    case "$1" in
      --prefix)
        [ $# -ge 2 ] || die 64 "--prefix needs a directory (see --help)"
        PREFIX=$2
        shift 2
        ;;
      --prefix=*)
        PREFIX=${1#--prefix=}
        shift
        ;;
      --version)
        [ $# -ge 2 ] || die 64 "--version needs a version, e.g. --version 0.2.0 (see --help)"
        VERSION=$2
        shift 2
        ;;
      --version=*)
        VERSION=${1#--version=}
        shift
        ;;
      --sudo)
        USE_SUDO=1
        shift
        ;;
      --uninstall)
        UNINSTALL=1
        shift
        ;;
      -h | --help)
        usage
        exit 0
        ;;
      *)
        die 64 "unknown option '$1' (see --help)"
        ;;
    esac
  done
  if [ -z "$PREFIX" ]; then
    [ -n "${HOME:-}" ] || die 64 "HOME is not set; give --prefix DIR"
    PREFIX="$HOME/.local"
  fi
  case "$PREFIX" in
    /*) ;;
    *) PREFIX="$(pwd)/$PREFIX" ;;
  esac
  while [ "${PREFIX%/}" != "$PREFIX" ] && [ "$PREFIX" != "/" ]; do
    PREFIX=${PREFIX%/}
  done
  VERSION=${VERSION#v}
  if [ -n "$VERSION" ] && ! printf '%s\n' "$VERSION" |
    grep -Eq '^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$'; then
    die 64 "--version takes a release version such as 0.2.0 or v0.2.0, not '$VERSION'"
  fi
  BIN_DIR="$PREFIX/bin"
  SHARE_DIR="$PREFIX/share/watchtower"
  MANIFEST="$SHARE_DIR/manifest"
  # Deno's runtime and the bundles of a release archive, staged and swapped as one directory.
  LIB_PARENT="$PREFIX/lib"
  LIB_DIR="$LIB_PARENT/watchtower"
  LIB_STAGED="$LIB_PARENT/.wt-new-$$-watchtower"
  LIB_OLD="$LIB_PARENT/.wt-old-$$-watchtower"
  if [ "$USE_SUDO" = 1 ]; then
    if [ "$(id -u)" = 0 ]; then
      USE_SUDO=0
    elif ! command -v sudo >/dev/null 2>&1; then
      die 69 "--sudo was given but sudo is not installed; run as root or choose a --prefix you can write"
    fi
  fi
}

# What FreeBSD, OpenBSD and NetBSD users do instead (Deno publishes no runtime for them).
explain_bsd() {
  warn "there are no prebuilt Watchtower binaries for $1 (a release ships Deno's own runtime, which Deno does not build for BSD systems)."
  warn "The supported path on $1 is Deno from the system's packages and the launchers from a checkout:"
  warn "  1. install Deno and git from your packages (FreeBSD: pkg install deno git; OpenBSD"
  warn "     and NetBSD: from ports or pkgsrc where your release packages Deno)"
  warn "  2. git clone ${WATCHTOWER_RELEASES%/releases}.git && cd watchtower"
  warn "  3. deno task install        (launchers in ~/.local/bin; --root DIR for another prefix)"
  warn "  4. wt init"
  warn "docs/install.md has the details."
}

# Sets TARGET to the release target of this machine (the names of scripts/compile.ts).
detect_target() {
  os=$(uname -s 2>/dev/null) || os=unknown
  arch=$(uname -m 2>/dev/null) || arch=unknown
  case "$os" in
    Linux) os_part=unknown-linux-gnu ;;
    Darwin)
      os_part=apple-darwin
      # An x86_64 shell under Rosetta on Apple silicon: the native build is the right one.
      if [ "$arch" = x86_64 ] && [ "$(sysctl -n sysctl.proc_translated 2>/dev/null)" = 1 ]; then
        arch=arm64
      fi
      ;;
    FreeBSD | OpenBSD | NetBSD | DragonFly)
      explain_bsd "$os"
      exit 69
      ;;
    *)
      die 69 "there is no Watchtower release for this system ('$os' on '$arch'); releases exist for Linux and macOS on x86_64 and aarch64. Elsewhere, install Deno and run 'deno task install' from a checkout (docs/install.md)"
      ;;
  esac
  case "$arch" in
    x86_64 | amd64) arch_part=x86_64 ;;
    aarch64 | arm64) arch_part=aarch64 ;;
    *)
      die 69 "there is no Watchtower release for $os on '$arch'; releases exist for x86_64 and aarch64. Elsewhere, install Deno and run 'deno task install' from a checkout (docs/install.md)"
      ;;
  esac
  TARGET="$arch_part-$os_part"
}

# Picks the downloader: curl, else wget.
pick_downloader() {
  if command -v curl >/dev/null 2>&1; then
    DOWNLOADER=curl
  elif command -v wget >/dev/null 2>&1; then
    DOWNLOADER=wget
  else
    die 69 "cannot download: neither curl nor wget is installed; install one of them (e.g. apt-get install curl) and run this again"
  fi
}

# download URL FILE: the whole file or a failure (curl and wget both fail on an HTTP error or a
# transfer cut short).
download() {
  case "$DOWNLOADER" in
    curl)
      case "$1" in
        # Never follow a redirect from https down to http.
        https://*) curl --fail --silent --show-error --location --proto-redir '=https' \
          --connect-timeout 30 --output "$2" "$1" ;;
        *) curl --fail --silent --show-error --location --connect-timeout 30 --output "$2" "$1" ;;
      esac
      ;;
    wget) wget --quiet --tries=2 --timeout=30 --output-document="$2" "$1" ;;
  esac
}

# Picks the SHA-256 program: sha256sum (Linux), else shasum -a 256 (macOS), else openssl.
pick_hasher() {
  if command -v sha256sum >/dev/null 2>&1; then
    HASHER=sha256sum
  elif command -v shasum >/dev/null 2>&1; then
    HASHER=shasum
  elif command -v openssl >/dev/null 2>&1; then
    HASHER=openssl
  else
    die 69 "cannot verify the download: none of sha256sum, shasum or openssl is installed"
  fi
}

sha256_of() {
  case "$HASHER" in
    sha256sum) sha256sum "$1" ;;
    shasum) shasum -a 256 "$1" ;;
    openssl) openssl dgst -sha256 -r "$1" ;;
  esac | awk '{ print tolower($1) }'
}

# Fails unless DIR (or its nearest existing ancestor, which mkdir -p would extend) is a
# directory this user can write, or --sudo was given.
check_writable() {
  probe=$1
  while [ ! -e "$probe" ] && [ ! -L "$probe" ]; do
    probe=$(dirname "$probe")
  done
  if [ ! -d "$probe" ]; then
    die 73 "cannot install into $PREFIX: $probe is not a directory; choose another --prefix"
  fi
  if [ "$USE_SUDO" = 0 ] && [ ! -w "$probe" ]; then
    die 73 "cannot install into $PREFIX: $probe is not writable by $(id -un 2>/dev/null || id -u); choose a --prefix you can write (default ~/.local) or, if you mean it, add --sudo"
  fi
}

# Lists DIR and its ancestors that do not exist yet, deepest first, in TMP_DIR/created-dirs: the
# cleanup removes them again (when still empty) if the install fails.
note_missing_dirs() {
  missing=$1
  while [ ! -e "$missing" ] && [ ! -L "$missing" ]; do
    printf '%s\n' "$missing" >>"$TMP_DIR/created-dirs"
    missing=$(dirname "$missing")
  done
}

# The files a manifest lists (paths relative to the prefix), one per line.
manifest_files() {
  if [ -f "$1" ]; then
    grep -v '^#' "$1" | grep -E '^((bin|share/watchtower)/[A-Za-z0-9._-]+|lib/watchtower)$' || true
  fi
}

manifest_field() {
  if [ -f "$1" ]; then
    sed -n "s/^# $2 //p" "$1" | head -n 1
  fi
}

# write_manifest VERSION REL...: replaces the manifest (a temporary file, then a rename).
write_manifest() {
  manifest_version=$1
  shift
  {
    printf '# Watchtower install manifest: the files install.sh put under %s\n' "$PREFIX"
    printf '# version %s\n# target %s\n' "$manifest_version" "$TARGET"
    for rel in "$@"; do
      printf '%s\n' "$rel"
    done | sort -u
  } >"$TMP_DIR/manifest" || return 1
  priv cp "$TMP_DIR/manifest" "$SHARE_DIR/${STAGE_TAG}manifest" || return 1
  priv mv -f "$SHARE_DIR/${STAGE_TAG}manifest" "$MANIFEST"
}

# remove_installed REL: removes one entry of a manifest (lib/watchtower is a directory).
remove_installed() {
  case "$1" in
    lib/watchtower)
      priv rm -rf "$LIB_DIR" || return 1
      priv rmdir "$LIB_PARENT" 2>/dev/null || true
      ;;
    *) priv rm -f "$PREFIX/$1" ;;
  esac
}

# Succeeds when VALUE holds a character a launcher cannot carry: quotes, backslash, newline and
# the sed delimiters (| &) would break the substitution or the sh string; `,` splits Deno's
# permission lists (--allow-write=A,B); `#`, `?` and `%` change the file: URL of a module.
has_unsafe() {
  case "$1" in
    *\'* | *\"* | *\\* | *\|* | *\&* | *,* | *\#* | *\?* | *%* | *"$NEWLINE"*) return 0 ;;
  esac
  return 1
}

# Sets STATE_DIR and SAFE_PATH, what the launchers of a runtime release need besides the prefix
# (as scripts/install.ts resolves them): the state directory, absolute, and the PATH the safe
# commands find their real program on, the installer's PATH without BIN_DIR (so that `rm` is
# never a launcher again) and without entries a launcher cannot carry. Refuses (64) a prefix or
# state directory it cannot write into a launcher.
launcher_values() {
  if has_unsafe "$PREFIX"; then
    die 64 "cannot install into '$PREFIX': the launchers cannot hold a path with any of ' \" \\ | & , # ? % or a newline; choose another --prefix; nothing was installed"
  fi
  STATE_DIR=${WATCHTOWER_DIR:-}
  if [ -z "$STATE_DIR" ]; then
    [ -n "${HOME:-}" ] || die 64 "HOME is not set; set WATCHTOWER_DIR to the state directory; nothing was installed"
    STATE_DIR="$HOME/.watchtower"
  fi
  case "$STATE_DIR" in
    /*) ;;
    *) STATE_DIR="$(pwd)/$STATE_DIR" ;;
  esac
  while [ "${STATE_DIR%/}" != "$STATE_DIR" ] && [ "$STATE_DIR" != "/" ]; do
    STATE_DIR=${STATE_DIR%/}
  done
  if has_unsafe "$STATE_DIR"; then
    die 64 "cannot use the state directory '$STATE_DIR' (\$WATCHTOWER_DIR, default ~/.watchtower): the launchers cannot hold a path with any of ' \" \\ | & , # ? % or a newline; set WATCHTOWER_DIR to another directory; nothing was installed"
  fi
  SAFE_PATH=""
  set -f
  old_ifs=$IFS
  IFS=:
  for dir in ${PATH:-}; do
    case "$dir" in
      /*) ;;
      *) continue ;;
    esac
    if [ "$dir" != "$BIN_DIR" ] && ! has_unsafe "$dir"; then
      SAFE_PATH="${SAFE_PATH:+$SAFE_PATH:}$dir"
    fi
  done
  IFS=$old_ifs
  set +f
  for dir in /usr/local/bin /usr/bin /bin /usr/sbin /sbin; do
    case ":$SAFE_PATH:" in
      *":$dir:"*) ;;
      *) SAFE_PATH="${SAFE_PATH:+$SAFE_PATH:}$dir" ;;
    esac
  done
}

# VALUE as the replacement of `s|…|VALUE|` inside a single-quoted sh string (launcher_values
# already refused what needs this; it stays correct should that check ever be relaxed).
sed_escape() {
  printf '%s\n' "$1" | sed -e "s/'/'\\\\''/g" -e 's/[\\&|]/\\&/g'
}

# fill_template FROM TO: a launcher template (or launchers.json) of a runtime release with this
# installation's values; fails when a placeholder is left.
fill_template() {
  sed -e "s|@WATCHTOWER_LIB@|$(sed_escape "$LIB_DIR")|g" \
    -e "s|@WATCHTOWER_BIN@|$(sed_escape "$BIN_DIR")|g" \
    -e "s|@WATCHTOWER_STATE@|$(sed_escape "$STATE_DIR")|g" \
    -e "s|@WATCHTOWER_PATH@|$(sed_escape "$SAFE_PATH")|g" "$1" >"$2" || return 1
  ! grep -q '@WATCHTOWER_[A-Z_]*@' "$2"
}

# Stages the runtime release's lib/watchtower from SRC as LIB_STAGED, with launchers.json naming
# BIN_DIR, then checks that the staged runtime runs the staged `wt` (the right architecture, a
# loader it can use, bundles that load) before anything is replaced.
stage_lib() {
  priv rm -rf "$LIB_STAGED" 2>/dev/null || true
  if ! priv cp -R "$1/lib/watchtower" "$LIB_STAGED"; then
    die 73 "cannot write $LIB_STAGED; nothing was installed"
  fi
  fill_template "$1/lib/watchtower/js/launchers.json" "$TMP_DIR/launchers.json" ||
    die 65 "$archive has a launchers.json this installer cannot fill; nothing was installed"
  priv cp "$TMP_DIR/launchers.json" "$LIB_STAGED/js/launchers.json" ||
    die 73 "cannot write $LIB_STAGED/js/launchers.json; nothing was installed"
  if ! (unset DENO_PERMISSION_BROKER_PATH && "$LIB_STAGED/deno" run -q --no-prompt \
    --config "$LIB_STAGED/deno.json" -P=wt "file://$LIB_STAGED/js/cli/main.js" version \
    >/dev/null 2>&1); then
    die 69 "the downloaded wt does not run on this machine ($TARGET): its Deno runtime or modules fail to start; nothing was installed"
  fi
}

# Renames the staged lib/watchtower into place: the old one aside, the new one in, the old one
# removed. A failure in between puts the old one back (cleanup).
swap_lib() {
  if exists "$LIB_DIR"; then
    case " $old_files " in
      *" lib/watchtower "*) ;;
      *) say "replacing $LIB_DIR, which this installer did not put there" ;;
    esac
    priv mv -f "$LIB_DIR" "$LIB_OLD" ||
      die 73 "cannot move the previous $LIB_DIR aside; run the installer again to finish"
  fi
  priv mv -f "$LIB_STAGED" "$LIB_DIR" ||
    die 73 "cannot move the new runtime into $LIB_DIR (the previous one is kept); run the installer again to finish"
  if exists "$LIB_OLD"; then
    priv rm -rf "$LIB_OLD" || warn "cannot remove the previous runtime $LIB_OLD; remove it yourself"
  fi
}

install_release() {
  detect_target
  command -v tar >/dev/null 2>&1 || die 69 "cannot unpack the release: tar is not installed"
  pick_downloader
  pick_hasher
  check_writable "$BIN_DIR"
  check_writable "$SHARE_DIR"
  check_writable "$LIB_PARENT"

  base=${WATCHTOWER_DOWNLOAD_URL:-$WATCHTOWER_RELEASES}
  base=${base%/}
  if [ -n "$VERSION" ]; then
    url="$base/download/v$VERSION"
    wanted="release v$VERSION"
  else
    url="$base/latest/download"
    wanted="the latest release"
  fi
  archive="watchtower-$TARGET.tar.gz"

  TMP_DIR=$(mktemp -d 2>/dev/null || mktemp -d -t watchtower) ||
    die 70 "cannot create a temporary directory (is TMPDIR writable?)"
  say "downloading $archive ($wanted) from $url"
  download "$url/SHA256SUMS" "$TMP_DIR/SHA256SUMS" ||
    die 69 "cannot download $url/SHA256SUMS (does $wanted exist? is the network up?); nothing was installed"
  download "$url/$archive" "$TMP_DIR/$archive" ||
    die 65 "cannot download $url/$archive: the transfer failed or was cut short; nothing was installed"

  expected=$(awk -v name="$archive" '$2 == name || $2 == "*" name { print tolower($1); exit }' \
    "$TMP_DIR/SHA256SUMS")
  if ! printf '%s\n' "$expected" | grep -Eq '^[0-9a-f]{64}$'; then
    die 65 "SHA256SUMS of $wanted has no checksum for $archive; nothing was installed"
  fi
  actual=$(sha256_of "$TMP_DIR/$archive")
  if [ "$actual" != "$expected" ]; then
    die 65 "refusing $archive: its SHA-256 is $actual but SHA256SUMS says $expected (a corrupt, truncated or altered download); nothing was installed"
  fi
  say "checksum verified: $actual"

  if ! mkdir "$TMP_DIR/unpacked" || ! tar -xzf "$TMP_DIR/$archive" -C "$TMP_DIR/unpacked"; then
    die 65 "cannot unpack $archive although its checksum matched; nothing was installed"
  fi
  src="$TMP_DIR/unpacked/watchtower-$TARGET"
  if [ ! -f "$src/bin/wt" ] || [ ! -f "$src/VERSION" ]; then
    die 65 "$archive is not a Watchtower release for $TARGET (no bin/wt or VERSION); nothing was installed"
  fi
  new_version=$(head -n 1 "$src/VERSION")
  if ! printf '%s\n' "$new_version" | grep -Eq '^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$'; then
    die 65 "$archive has no valid VERSION; nothing was installed"
  fi
  if [ -n "$VERSION" ] && [ "$new_version" != "$VERSION" ]; then
    die 65 "$archive of release v$VERSION says it is version $new_version; nothing was installed"
  fi
  old_version=$(manifest_field "$MANIFEST" version)
  old_files=$(manifest_files "$MANIFEST" | tr '\n' ' ')

  # A runtime release (Deno's runtime and the bundles in lib/watchtower, launcher templates in
  # bin/): the launchers are written here, for this user. A release of compiled binaries has no
  # lib/ and its bin/ is installed as it is.
  bin_src="$src/bin"
  RUNTIME=0
  if [ -d "$src/lib/watchtower" ]; then
    for need in deno deno.json js/cli/main.js js/launchers.json; do
      [ -f "$src/lib/watchtower/$need" ] ||
        die 65 "$archive has lib/watchtower without $need; nothing was installed"
    done
    RUNTIME=1
    launcher_values
    bin_src="$TMP_DIR/launchers"
    mkdir "$bin_src" || die 70 "cannot write $bin_src"
    for file in "$src"/bin/*; do
      [ -f "$file" ] || continue
      fill_template "$file" "$bin_src/${file##*/}" ||
        die 65 "$archive has a launcher template this installer cannot fill (${file##*/}); nothing was installed"
    done
  fi

  # Stage: every new file is copied beside its destination under a temporary name (the same
  # file system, so the rename below is atomic), lib/watchtower as a sibling directory. A
  # failure removes the staged copies (cleanup).
  note_missing_dirs "$BIN_DIR"
  note_missing_dirs "$SHARE_DIR"
  [ "$RUNTIME" = 0 ] || note_missing_dirs "$LIB_PARENT"
  priv mkdir -p "$BIN_DIR" "$SHARE_DIR" || die 73 "cannot create $BIN_DIR or $SHARE_DIR"
  STAGE_TAG=".wt-new-$$-"
  if [ "$RUNTIME" = 1 ]; then
    if [ -e "$LIB_DIR" ] && [ ! -d "$LIB_DIR" ]; then
      die 73 "$LIB_DIR is not a directory; move it away and run the installer again; nothing was installed"
    fi
    priv mkdir -p "$LIB_PARENT" || die 73 "cannot create $LIB_PARENT"
    stage_lib "$src"
  fi
  new_files=""
  for file in "$bin_src"/* "$src"/share/watchtower/*; do
    [ -f "$file" ] || continue
    name=${file##*/}
    case "$name" in
      *[!A-Za-z0-9._-]* | .* | manifest)
        die 65 "$archive holds an unexpected file name '$name'; nothing was installed"
        ;;
    esac
    case "$file" in
      "$bin_src"/*) dir=$BIN_DIR rel="bin/$name" mode=755 ;;
      *) dir=$SHARE_DIR rel="share/watchtower/$name" mode=644 ;;
    esac
    # mv would move the new file into a directory (or a link to one) rather than replace it.
    if [ -d "$PREFIX/$rel" ]; then
      die 73 "$PREFIX/$rel is a directory; move it away and run the installer again; nothing was installed"
    fi
    if ! priv cp "$file" "$dir/$STAGE_TAG$name" || ! priv chmod "$mode" "$dir/$STAGE_TAG$name"; then
      die 73 "cannot write $dir/$STAGE_TAG$name; nothing was installed"
    fi
    new_files="$new_files $rel"
  done
  # The new wt must run here (the right architecture, a loader it can use) before it replaces
  # anything (a runtime release's was run by stage_lib).
  if [ "$RUNTIME" = 0 ] &&
    ! (unset DENO_PERMISSION_BROKER_PATH && "$BIN_DIR/${STAGE_TAG}wt" version >/dev/null 2>&1); then
    die 69 "the downloaded wt does not run on this machine ($TARGET); nothing was installed"
  fi
  installed=$new_files
  [ "$RUNTIME" = 0 ] || installed="$installed lib/watchtower"

  # The manifest lists old and new files while they are swapped, so that an interruption
  # leaves an install that --uninstall still removes entirely and a re-run repairs.
  # shellcheck disable=SC2086 # the lists are words: validated names without blanks or globs
  write_manifest "$new_version" $installed $old_files ||
    die 73 "cannot write $MANIFEST; nothing was installed"

  # Swap: renames only; the runtime first, so that a launcher never names modules that are not
  # there yet (the old launchers run the new modules as well: the entry modules keep their names).
  [ "$RUNTIME" = 0 ] || swap_lib
  for rel in $new_files; do
    name=${rel##*/}
    case "$rel" in
      bin/*) dir=$BIN_DIR ;;
      *) dir=$SHARE_DIR ;;
    esac
    case " $old_files " in
      *" $rel "*) ;;
      *)
        if [ -e "$PREFIX/$rel" ]; then
          say "replacing $PREFIX/$rel, which this installer did not put there"
        fi
        ;;
    esac
    priv mv -f "$dir/$STAGE_TAG$name" "$PREFIX/$rel" ||
      die 73 "cannot move $PREFIX/$rel into place; run the installer again to finish"
  done
  # Files of the old release that the new one no longer has.
  for rel in $old_files; do
    case " $installed " in
      *" $rel "*) ;;
      *) remove_installed "$rel" || warn "cannot remove $PREFIX/$rel of the previous release" ;;
    esac
  done
  # shellcheck disable=SC2086 # as above
  write_manifest "$new_version" $installed ||
    die 73 "cannot write $MANIFEST; run the installer again to finish"
  rm -f "$TMP_DIR/created-dirs"

  count=0
  for rel in $new_files; do
    case "$rel" in bin/*) count=$((count + 1)) ;; esac
  done
  if [ -n "$old_version" ]; then
    say "upgraded Watchtower $old_version -> $new_version ($TARGET): $count programs in $BIN_DIR"
  else
    say "installed Watchtower $new_version ($TARGET): $count programs in $BIN_DIR"
  fi
  if [ "$RUNTIME" = 1 ]; then
    say "the safe commands record in $STATE_DIR (WATCHTOWER_DIR when installing, default ~/.watchtower; install again to change it)"
  fi
  case ":${PATH:-}:" in
    *":$BIN_DIR:"*) ;;
    *)
      say "$BIN_DIR is not on your PATH; add it, e.g. in ~/.profile:"
      say "  export PATH=\"$BIN_DIR:\$PATH\""
      ;;
  esac
  say "next: wt init      (then wt doctor shows what this machine supports)"
}

uninstall_release() {
  if [ ! -f "$MANIFEST" ]; then
    say "nothing to uninstall: $MANIFEST does not exist (Watchtower was not installed into $PREFIX by this installer)"
    return 0
  fi
  check_writable "$SHARE_DIR"
  old_version=$(manifest_field "$MANIFEST" version)
  removed=0
  runtime=""
  for rel in $(manifest_files "$MANIFEST"); do
    if exists "$PREFIX/$rel"; then
      remove_installed "$rel" || die 73 "cannot remove $PREFIX/$rel"
      case "$rel" in
        lib/*) runtime=" and the runtime $PREFIX/$rel" ;;
        *) removed=$((removed + 1)) ;;
      esac
    fi
  done
  priv rm -f "$MANIFEST" || die 73 "cannot remove $MANIFEST"
  priv rmdir "$SHARE_DIR" 2>/dev/null || true
  say "uninstalled Watchtower ${old_version:-}: removed $removed files$runtime from $PREFIX"
  say "your state directory (\$WATCHTOWER_DIR, default ~/.watchtower: policy, ledger, keys) is kept; remove it yourself if you no longer need it"
}

main() {
  set -u
  umask 022
  TMP_DIR=""
  STAGE_TAG=""
  parse_args "$@"
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM HUP
  if [ "$UNINSTALL" = 1 ]; then
    uninstall_release
  else
    install_release
  fi
}

main "$@"
