#!/usr/bin/env bash
# Installs the Debian data packages jaxgen's tests read (idempotent, quiet):
#   dataset-fashion-mnist      Fashion-MNIST, 60k + 10k IDX files (/usr/share/datasets/fashion-mnist)
#   asterisk-core-sounds-en-wav 8 kHz English speech (speech8k, WaveNet)
#   asterisk-moh-opsound-wav   8 kHz music (music8k)
#   fortunes                   2.5 MB of English text (character language models)
#   dict-gcide                 the GCIDE dictionary (definitions; syllabified headwords)
#   dict-freedict-deu-eng      German-English example sentence pairs (translation)
#   unifont, fonts-noto-core, fonts-freefont-ttf, fonts-dejavu-core
#                              glyph bitmaps and fonts: the few-shot letters (jaxgen.data.glyphs)
# Uses sudo when not root. Without apt-get (not Debian / Ubuntu) it installs nothing, says so
# and exits 0: the tests that need these files then fail with a message naming the package.
set -euo pipefail

PACKAGES=(dataset-fashion-mnist asterisk-core-sounds-en-wav asterisk-moh-opsound-wav fortunes
          dict-gcide dict-freedict-deu-eng unifont fonts-noto-core fonts-freefont-ttf
          fonts-dejavu-core)

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install_test_data: apt-get not found; skipping the Debian data packages" \
       "(${PACKAGES[*]}). Tests of Fashion-MNIST and the 8 kHz audio need them." >&2
  exit 0
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install_test_data: ${PACKAGES[*]} already installed."
  exit 0
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "install_test_data: not root and no sudo: run as root:" \
         "apt-get install ${missing[*]}" >&2
    exit 1
  fi
  SUDO=(sudo)
fi

echo "install_test_data: installing ${missing[*]} (about 150 MB once installed) ..."
${SUDO[@]+"${SUDO[@]}"} apt-get update -qq
${SUDO[@]+"${SUDO[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  "${missing[@]}" >/dev/null
echo "install_test_data: done."
