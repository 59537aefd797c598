# Shared set-up for scripts/desk and scripts/test, sourced by them.
# Installs what a fresh Debian machine lacks (Debian packages, a virtual environment,
# the project and its Python dependencies) and does nothing for what is already there.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${PA_DESK_VENV:-$ROOT/.venv}"
cd "$ROOT"

say() { printf '\033[1m[pa-desk]\033[0m %s\n' "$*" >&2; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
        say "need root to run: $*"; return 1; fi
}

APT_UPDATED=0
apt_install() {
    local missing=()
    for pkg in "$@"; do
        dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if ! command -v apt-get >/dev/null; then
        say "not a Debian system: install ${missing[*]} yourself"; return 0
    fi
    say "installing Debian packages: ${missing[*]}"
    if [ "$APT_UPDATED" -eq 0 ]; then
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
        APT_UPDATED=1
    fi
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null
}

# Qt's runtime libraries (xcb for a real screen, EGL/fontconfig for offscreen) and a font.
QT_DEBS=(libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3
         libglib2.0-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0
         libxcb-randr0 libxcb-render-util0 libxcb-image0 libxcb-xinerama0 fonts-dejavu-core)

python_ok() {
    "$1" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))' 2>/dev/null
}

ensure_venv() {
    local py="${PA_DESK_PYTHON:-}"
    if [ -z "$py" ]; then
        for candidate in python3.13 python3.12 python3.11 python3; do
            if command -v "$candidate" >/dev/null && python_ok "$(command -v "$candidate")"; then
                py="$(command -v "$candidate")"; break
            fi
        done
    fi
    if [ -z "$py" ]; then
        apt_install python3 python3-venv python3-pip
        py="$(command -v python3)"
        python_ok "$py" || { say "PA Desk needs Python 3.11 or newer"; exit 1; }
    fi
    if [ ! -x "$VENV/bin/python" ]; then
        say "creating the virtual environment in $VENV"
        "$py" -m venv "$VENV"
    fi
    local stamp="$VENV/.pa-desk-installed"
    local extras="$1"
    if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || ! grep -qx "$extras" "$stamp"; then
        say "installing PA Desk and its dependencies ($extras)"
        "$VENV/bin/python" -m pip install -q --upgrade pip
        "$VENV/bin/python" -m pip install -q -e ".[$extras]"
        echo "$extras" > "$stamp"
    fi
}
