import type { Composer, CST, Document, LineCounter } from "yaml";
import { yamlLibrary } from "../common/lazy-modules.js";

/**
 * Bounds on what a map file may cost to read. A container map is a few kilobytes, a few levels
 * deep; a file far beyond these is a mistake or an attack, and is refused with its position
 * before it can exhaust the stack, the memory or the user's patience.
 */

/**
 * Most characters in one map file. The yaml package reads about a megabyte a second here; a map
 * of 300 containers is about 22 KB, so this leaves room for maps fifty times larger while a file
 * at the limit is still refused or loaded in about a second.
 */
export const MAX_MAP_CHARS = 1024 * 1024;

/** Deepest nesting of mappings and lists, aliases expanded. Maps need fewer than ten levels. */
export const MAX_NESTING = 64;

/** Most values aliases may expand to in one document ("billion laughs" documents). */
export const MAX_ALIAS_VALUES = 100_000;

/** Where a limit was crossed (an offset in the text) and what to say. */
export interface LimitBreach {
  offset: number;
  message: string;
  hint: string;
}

/** A text over MAX_MAP_CHARS, reported where the limit falls. */
export function sizeBreach(text: string): LimitBreach | undefined {
  if (text.length <= MAX_MAP_CHARS) return undefined;
  return {
    offset: MAX_MAP_CHARS,
    message: `the map file is larger than ${MAX_MAP_CHARS / 1024 / 1024} MiB (${text.length} characters)`,
    hint: "a container map is a few kilobytes; split it into several files (-f A -f B) if it really is this large",
  };
}

export function nestingBreach(offset: number): LimitBreach {
  return {
    offset,
    message: `the document is nested more than ${MAX_NESTING} levels deep`,
    hint: "a container map needs a few levels; look for runaway brackets, indentation or aliases",
  };
}

/**
 * The yaml package's parse of a text into documents, stopped as soon as the nesting grows past
 * MAX_NESTING: the package composes nodes recursively (a document nested a few thousand levels
 * exhausts the stack) and its parser slows down with depth, so the depth is watched on its
 * parser's stack of open collections while lexing, before anything is composed.
 */
export function composeWithinLimits(
  text: string,
  lineCounter: LineCounter,
  composer: Composer,
): { documents: Document.Parsed[] } | LimitBreach {
  const { Lexer, Parser } = yamlLibrary();
  const parser = new Parser(lineCounter.addNewLine);
  lineCounter.addNewLine(0);
  const tokens: CST.Token[] = [];
  for (const lexeme of new Lexer().lex(text)) {
    for (const token of parser.next(lexeme)) tokens.push(token);
    // The stack holds the document, the open collections and the node being read; only when it
    // is long enough are the collections among them counted.
    if (parser.stack.length > MAX_NESTING) {
      const tooDeep = parser.stack.filter(isCollection)[MAX_NESTING];
      if (tooDeep !== undefined) return nestingBreach(tooDeep.offset);
    }
  }
  for (const token of parser.end()) tokens.push(token);
  return { documents: [...composer.compose(tokens, false, text.length)] };
}

/** The line and column (from 1) of an offset, counted in the text itself (nothing parsed yet). */
export function lineAndColumn(text: string, offset: number): { line: number; col: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf("\n"); i >= 0 && i < offset; i = text.indexOf("\n", i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, col: offset - lineStart + 1 };
}

function isCollection(token: CST.Token): boolean {
  return token.type === "block-map" || token.type === "block-seq" || token.type === "flow-collection";
}
