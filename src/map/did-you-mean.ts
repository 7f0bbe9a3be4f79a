/** Edit distance counting a swap of two neighbours as one edit (Damerau); small inputs only. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) =>
    Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number) => (d[i] as number[])[j] as number;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        value = Math.min(value, at(i - 2, j - 2) + 1);
      (d[i] as number[])[j] = value;
    }
  }
  return at(a.length, b.length);
}

/** The closest candidate within a distance that still reads as a typo, if any. */
export function closest(word: string, candidateIterable: Iterable<string>): string | undefined {
  const candidates = [...candidateIterable];
  // Short words allow one edit; a word that is the start of a candidate (alias → aliases) matches too.
  const limit = word.length <= 2 ? 0 : Math.max(1, Math.min(3, Math.floor(word.length / 3)));
  const lower = word.toLowerCase();
  const prefixed = candidates.filter((c) => c.toLowerCase().startsWith(lower) && c.length - word.length <= 2);
  if (word.length >= 3 && prefixed.length === 1) return prefixed[0];
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance || (distance === bestDistance && best !== undefined && candidate < best)) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= limit ? best : undefined;
}

export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  const match = closest(word, candidates);
  return match === undefined ? undefined : `did you mean \`${match}\`?`;
}

/** Letters from other scripts that look like ASCII ones, as they sneak into names. */
const LOOK_ALIKES: Record<string, string> = {
  "\u0430": "a",
  "\u0435": "e",
  "\u043e": "o",
  "\u0440": "p",
  "\u0441": "c",
  "\u0443": "y",
  "\u0445": "x",
  "\u0456": "i",
  "\u0458": "j",
  "\u0455": "s",
  "\u0501": "d",
  "\u04cf": "l",
  "\u0410": "A",
  "\u0412": "B",
  "\u0415": "E",
  "\u041a": "K",
  "\u041c": "M",
  "\u041d": "H",
  "\u041e": "O",
  "\u0420": "P",
  "\u0421": "C",
  "\u0422": "T",
  "\u0425": "X",
  "\u03bf": "o",
  "\u03b1": "a",
  "\u03bd": "v",
  "\u03c1": "p",
  "\u0391": "A",
  "\u0392": "B",
  "\u0395": "E",
  "\u0397": "H",
  "\u0399": "I",
  "\u039a": "K",
  "\u039c": "M",
  "\u039d": "N",
  "\u039f": "O",
  "\u03a1": "P",
  "\u03a4": "T",
  "\u03a7": "X",
  "\u03a5": "Y",
  "\u0396": "Z",
  "\u2010": "-",
  "\u2011": "-",
  "\u2012": "-",
  "\u2013": "-",
  "\u2014": "-",
  "\u2212": "-",
  "\uff0d": "-",
  "\u0131": "i",
};

const INVISIBLE = new Set(["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u180e"]);

/**
 * The first character of a name that is not printable ASCII (`any`), or only a look-alike or
 * invisible one, described for a message: its index, code point and what it looks like
 * (`U+0435, which looks like \`e\``), or undefined.
 */
export function oddCharacter(
  name: string,
  only: "any" | "look-alikes" = "any",
): { index: number; description: string } | undefined {
  const index =
    only === "any"
      ? name.search(/[^\x21-\x7e]/u)
      : name.split("").findIndex((c) => LOOK_ALIKES[c] !== undefined || INVISIBLE.has(c));
  if (index < 0) return undefined;
  const char = String.fromCodePoint(name.codePointAt(index) as number);
  const code = `U+${(char.codePointAt(0) as number).toString(16).toUpperCase().padStart(4, "0")}`;
  const lookAlike = LOOK_ALIKES[char];
  const kind =
    lookAlike !== undefined
      ? `, which looks like \`${lookAlike}\``
      : INVISIBLE.has(char)
        ? ", an invisible character"
        : /\s/u.test(char)
          ? ", a space"
          : "";
  return { index, description: `character ${index + 1} is ${code}${kind}` };
}
