#!/usr/bin/env bash
# Idempotent set-up for a fresh Debian machine (run as root for the system packages):
# Debian packages, the npm Kaitai compiler, and a virtualenv with the project installed.
# A second run only checks stamps and returns in well under a second.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
VENV=${VENV:-$here/.venv}
PY=${PYTHON:-python3}
STAMP_DIR=$VENV/.stamps
DEB_PACKAGES=(nftables iproute2 iperf3 iputils-ping tshark tcpdump wireguard-go wireguard-tools procps psmisc curl ethtool nodejs npm)
KSC_VERSION=0.11.0

need_debs=()
for p in "${DEB_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || need_debs+=("$p")
done
# nodejs/npm may come from elsewhere (nodesource, nvm): accept any working node+npm.
if command -v node >/dev/null && command -v npm >/dev/null; then
  tmp=(); for p in "${need_debs[@]}"; do [[ $p == nodejs || $p == npm ]] || tmp+=("$p"); done
  need_debs=("${tmp[@]+"${tmp[@]}"}")
fi
if ((${#need_debs[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "bootstrap: missing Debian packages (${need_debs[*]}); run as root to install them" >&2
  else
    echo "bootstrap: installing Debian packages: ${need_debs[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # --no-install-recommends: wireguard-tools would otherwise pull in a kernel image.
    apt-get install -y -q --no-install-recommends "${need_debs[@]}" >/dev/null
  fi
fi

# The npm package is a library (no CLI): spec/codegen/ksc_driver.js calls it; check its version via node.
ksc_version() { NODE_PATH=$(npm root -g 2>/dev/null) node -e 'console.log(require("kaitai-struct-compiler").version)' 2>/dev/null; }
if [[ $(ksc_version) != "$KSC_VERSION" ]]; then
  echo "bootstrap: installing npm kaitai-struct-compiler@$KSC_VERSION"
  npm install -g --silent "kaitai-struct-compiler@$KSC_VERSION" >/dev/null
fi

if [[ ! -x $VENV/bin/python ]]; then
  echo "bootstrap: creating virtualenv $VENV"
  "$PY" -m venv "$VENV"
fi
mkdir -p "$STAMP_DIR"
hash=$(sha256sum pyproject.toml | cut -c1-16)
if [[ ! -f $STAMP_DIR/pip-$hash ]]; then
  echo "bootstrap: pip install -e .[test]"
  "$VENV/bin/python" -m pip install -q --upgrade pip >/dev/null
  if ! "$VENV/bin/python" -m pip install -q -e ".[test]" >"$STAMP_DIR/pip.log" 2>&1; then
    grep -vE "is ignored: it is neither" "$STAMP_DIR/pip.log" >&2; exit 1
  fi
  rm -f "$STAMP_DIR"/pip-*
  touch "$STAMP_DIR/pip-$hash"
fi
