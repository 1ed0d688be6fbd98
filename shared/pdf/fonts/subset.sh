#!/usr/bin/env bash
# Regenerates DejaVuSans-Kezek.ttf, the font the crate embeds, from the full
# DejaVuSans.ttf beside it: Latin, Latin-1, all of Cyrillic (Kazakh and Russian
# letters), Cyrillic Supplement, general punctuation (• – — « » …), № and ₸,
# and U+FFFD. Hinting and OpenType layout tables are dropped (a PDF viewer
# does not need them); the name table (copyright, licence) is kept.
# Needs fontTools (Debian: apt-get install python3-fonttools).
set -euo pipefail
cd "$(dirname "$0")"
/usr/bin/env python3 -m fontTools.subset DejaVuSans.ttf \
  --output-file=DejaVuSans-Kezek.ttf \
  --unicodes='U+0020-007E,U+00A0-00FF,U+0400-052F,U+2010-2027,U+2030-203A,U+2116,U+20B8,U+FFFD' \
  --layout-features='' --no-hinting --notdef-outline --name-IDs='*' --name-languages='*' \
  --glyph-names=false --drop-tables+=FFTM,GDEF,GPOS,GSUB
