#!/usr/bin/env python3
"""A tree of office-like files, as a Kommune's share holds them, for compression figures.

Two parts, each of about the size asked for, the same bytes for the same seed:

  office  documents that compress the way real ones do: letters and minutes as plain text
          (German words, Zipf-distributed), CSV exports (dates, amounts, file numbers,
          names), XML as inside a .docx or an XRechnung (repetitive tags around text);
  packed  files that are already compressed (scans as JPEG, .zip, .docx, PDF): random bytes,
          which no codec makes smaller.

Standard library only: the shares scenario runs it on the Kommune's file server
(molecule/shares/compress.yml), bench/compress_codecs.py on this machine.
Usage: office_data.py ROOT [--office-mib N] [--packed-mib N] [--seed S]
"""

from __future__ import annotations

import argparse
import os
import random
from pathlib import Path


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


WORDS = _words(
    "der die das und in zu den von mit sich des auf für ist im dem nicht ein eine als auch es an "
    "werden aus er hat dass sie nach wird bei einer um am sind noch wie einem über einen so zum "
    "Antrag Bescheid Gemeinde Bürgermeister Sitzung Gemeinderat Bauamt Haushalt Satzung Verfahren "
    "Grundstück Flurstück Bebauungsplan Genehmigung Widerspruch Frist Anlage Kosten Gebühr Beschluss "
    "Verwaltung Einwohner Meldebehörde Ordnungsamt Kindergarten Feuerwehr Abwasser Straße Kreis "
    "Landratsamt Vorlage Protokoll Tagesordnung Niederschrift öffentlich nichtöffentlich Vertrag "
    "Rechnung Zahlung Betrag Euro Konto Steuer Grundsteuer Gewerbesteuer Hund Friedhof Wahl "
    "gemäß Absatz Paragraph Verordnung bitte mitteilen beantragt genehmigt abgelehnt geprüft"
)
NAMES = _words("Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Schäfer Koch "
               "Bauer Richter Klein Wolf Schröder Neumann Schwarz Zimmermann Braun Krüger Hofmann")
STREETS = _words("Hauptstraße Dorfstraße Kirchweg Schulstraße Bahnhofstraße Gartenweg Lindenallee "
                 "Am Anger Mühlweg Bergstraße")
MIB = 1 << 20


def prose(rng: random.Random, size: int) -> bytes:
    """Sentences of WORDS, the frequent ones far more often (as in real text)."""
    weights = [1 / (rank + 1) for rank in range(len(WORDS))]
    out, length = [], 0
    while length < size:
        words = rng.choices(WORDS, weights, k=rng.randint(6, 18))
        sentence = " ".join(words).capitalize() + rng.choice((". ", ". ", ", ", ".\n\n"))
        out.append(sentence)
        length += len(sentence.encode())
    return "".join(out).encode()[:size]


def csv_export(rng: random.Random, size: int) -> bytes:
    rows = ["Aktenzeichen;Datum;Name;Straße;Betrag;Status"]
    length = len(rows[0])
    while length < size:
        row = (f"{rng.choice(('BA', 'OA', 'KA', 'HH'))}-{rng.randint(2015, 2026)}-{rng.randint(1, 9999):04d};"
               f"{rng.randint(1, 28):02d}.{rng.randint(1, 12):02d}.{rng.randint(2015, 2026)};"
               f"{rng.choice(NAMES)}, {rng.choice(NAMES)};{rng.choice(STREETS)} {rng.randint(1, 120)};"
               f"{rng.randint(0, 250000) / 100:.2f};{rng.choice(('offen', 'bezahlt', 'gemahnt', 'storniert'))}")
        rows.append(row)
        length += len(row) + 1
    return "\n".join(rows).encode()[:size]


def document_xml(rng: random.Random, size: int) -> bytes:
    """WordprocessingML as inside a .docx: a paragraph and run around every few words."""
    parts = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document '
             'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>']
    length = len(parts[0])
    while length < size:
        text = prose(rng, rng.randint(40, 300)).decode(errors="ignore").replace("\n", " ")
        style = rng.choice(("Standard", "Textkrper", "berschrift1", "Aufzhlung"))
        para = (f'<w:p><w:pPr><w:pStyle w:val="{style}"/><w:spacing w:after="120" w:line="276"/></w:pPr>'
                f'<w:r><w:rPr><w:rFonts w:ascii="Arial" w:hAnsi="Arial"/><w:sz w:val="22"/></w:rPr>'
                f'<w:t xml:space="preserve">{text}</w:t></w:r></w:p>\n')
        parts.append(para)
        length += len(para.encode())
    return "".join(parts).encode()[:size]


KINDS = ((".txt", prose), (".csv", csv_export), (".xml", document_xml))
PACKED = (".jpg", ".zip", ".docx", ".pdf")


def write_tree(root: Path, office_mib: float, packed_mib: float, seed: int = 14) -> dict[str, int]:
    """Writes the two parts below ``root`` (office/, packed/); returns their sizes in bytes."""
    rng = random.Random(seed)
    sizes = {"office": 0, "packed": 0}
    for part, budget in (("office", office_mib * MIB), ("packed", packed_mib * MIB)):
        folder = root / part
        folder.mkdir(parents=True, exist_ok=True)
        number = 0
        while sizes[part] < budget:
            # Office files of 4 KiB to 1 MiB, packed ones of 64 KiB to 4 MiB, as on a share.
            size = int(min(budget - sizes[part], rng.choice((4, 16, 64, 256, 1024)) * 1024 if part == "office"
                           else rng.choice((64, 256, 1024, 4096)) * 1024))
            if part == "office":
                suffix, make = KINDS[number % len(KINDS)]
                data = make(rng, size)
            else:
                suffix, data = PACKED[number % len(PACKED)], rng.randbytes(size)
            (folder / f"datei-{number:05d}{suffix}").write_bytes(data)
            sizes[part] += len(data)
            number += 1
    return sizes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("--office-mib", type=float, default=24)
    parser.add_argument("--packed-mib", type=float, default=8)
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args()
    sizes = write_tree(args.root, args.office_mib, args.packed_mib, args.seed)
    print(" ".join(f"{part}={size}" for part, size in sizes.items()))
    os.sync()


if __name__ == "__main__":
    main()
