import MiniSearch, { type SearchResult } from 'minisearch';
import type { Flow } from './flowSchema';
import { normalize } from './normalize';
import { questionTarget, type Phrasing, type Question } from './questionSchema';
import { STOP_WORDS, stopWordsOf } from './stopWords';

/** A flow's question as the engine answers it: where it lives and what answers it. */
export interface QuestionEntry {
  readonly id: string;
  readonly flow: string;
  readonly target: { readonly flow: string; readonly node: string };
  /** The "Did you mean…" quick reply's title (1 to 20 characters). */
  readonly title: string;
  readonly phrasings: readonly string[];
}

export interface QuestionMatch {
  readonly question: QuestionEntry;
  /** 0 to 1: how much of the text the question explains, and by how far it beats the next one. */
  readonly confidence: number;
}

/** Every flow's questions, searchable; built once at load time and never changed after. */
export interface QuestionIndex {
  readonly questions: ReadonlyMap<string, QuestionEntry>;
  /**
   * The best questions for a typed text, best first (at most `limit`); empty when nothing matched.
   * `without`: leave out one phrasing (the linter asks what a phrasing would match without itself).
   */
  match(text: string, limit?: number, without?: { readonly question: string; readonly phrasing: number }): QuestionMatch[];
  /** The words of a text as the index compares them (normalized, stop words dropped). */
  terms(text: string, lang?: string): string[];
}

/** Typed text is cut before matching: a question fits in far less, and each term costs a fuzzy search. */
export const MAX_QUERY_CHARS = 300;
const MAX_QUERY_TERMS = 12;
/** Typo tolerance by word length: short words must match exactly (else "hi" finds "his", "ship" "shop"). */
const fuzzy = (term: string): number => (term.length <= 3 ? 0 : term.length <= 5 ? 1 : 2);
/**
 * In a long text one typo per word is enough: two edits per word is what costs most (each term
 * expands to many near words), and a long text has words to spare. Keeps a match under 2 ms of CPU.
 */
const LONG_TEXT_TERMS = 8;
const fuzzyInLongText = (term: string): number => Math.min(1, fuzzy(term));
const WORD = /[\p{L}\p{N}]+/gu;
/**
 * Confidence = explained × margin. explained: the share of the text's words (by idf) the best
 * phrasing matched, a word matched by none counting UNEXPLAINED of its weight (customers add names,
 * places and filler: "do you ship to Canada"). margin: 1 − RIVALRY × (runner-up's score / best's).
 * Both measured on tests/fixtures/questions/eval.yaml (README, "Answering typed questions").
 */
const UNEXPLAINED = 0.3;
const RIVALRY = 0.3;

interface Doc {
  readonly id: number;
  readonly question: number;
  /** Its place among the question's phrasings. */
  readonly phrasing: number;
  readonly text: string;
}

function tokens(text: string, stop: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (const [word] of normalize(text).matchAll(WORD)) {
    const stem = stemmed(word);
    if (!stop.has(word) && !out.includes(stem)) out.push(stem);
  }
  return out;
}

/**
 * A light stemmer, the same for phrasings and typed text: plural -s (English, French, Spanish),
 * English -ing and -ed, so "returns", "returning" and "returned" meet "return". Applied to both
 * sides, a wrong cut costs nothing as long as it is the same cut.
 */
function stemmed(word: string): string {
  if (word.length > 5 && word.endsWith('ing')) return word.slice(0, -3);
  if (word.length > 4 && word.endsWith('ed')) return word.slice(0, -2);
  if (word.length > 3 && word.endsWith('s') && !word.endsWith('ss')) return word.slice(0, -1);
  return word;
}

const union = (sets: Iterable<ReadonlySet<string>>): ReadonlySet<string> => {
  const all = new Set<string>();
  for (const s of sets) for (const w of s) all.add(w);
  return all;
};

const phrasingText = (p: Phrasing): string => (typeof p === 'string' ? p : p.text);

/** Indexes the questions of every flow (in file order); a question id repeated later is ignored (the linter warns). */
export function buildQuestionIndex(flows: readonly Flow[]): QuestionIndex {
  const entries: QuestionEntry[] = [];
  const docs: Doc[] = [];
  const langs = new Set<string>();
  const allStop = union(Object.values(STOP_WORDS));
  const stopFor = (lang: string | undefined) => (lang === undefined ? allStop : (stopWordsOf(lang) ?? new Set<string>()));
  for (const flow of flows) {
    for (const q of flow.questions ?? []) {
      if (entries.some((e) => e.id === q.id)) continue;
      const question = entries.length;
      entries.push(entryOf(flow.id, q));
      q.phrasings.forEach((p, phrasing) => {
        const lang = typeof p === 'string' ? q.lang : p.lang;
        langs.add(lang === undefined ? '*' : lang);
        const text = tokens(phrasingText(p), stopFor(lang)).join(' ');
        if (text !== '') docs.push({ id: docs.length, question, phrasing, text });
      });
    }
  }
  // Typed text has no language tag: drop the stop words of every language the phrasings use.
  const queryStop = langs.has('*')
    ? allStop
    : union([...langs].map((l) => stopWordsOf(l)).filter((s): s is ReadonlySet<string> => s !== undefined));
  const search = new MiniSearch<Doc>({
    fields: ['text'],
    storeFields: ['question', 'phrasing'],
    tokenize: (text) => text.split(' '),
    processTerm: (term) => term,
    searchOptions: { combineWith: 'OR', fuzzy, maxFuzzy: 2, prefix: (term) => term.length >= 5 },
  });
  search.addAll(docs);
  const searchable = reachableTerms(docs);
  const df = documentFrequencies(docs);
  const idf = (term: string) => Math.log(1 + (docs.length + 0.5) / ((df.get(term) ?? 0) + 0.5));
  return {
    questions: new Map(entries.map((e) => [e.id, e])),
    terms: (text, lang) => tokens(text, lang === undefined ? queryStop : stopFor(lang)),
    match(text, limit = 3, without) {
      const terms = tokens(text.slice(0, MAX_QUERY_CHARS), queryStop).slice(0, MAX_QUERY_TERMS);
      if (terms.length === 0 || docs.length === 0) return [];
      const left = without && entries.findIndex((e) => e.id === without.question);
      const filter = without && ((r: SearchResult) => r.question !== left || r.phrasing !== without.phrasing);
      const options = { ...(filter ? { filter } : {}), ...(terms.length > LONG_TEXT_TERMS ? { fuzzy: fuzzyInLongText } : {}) };
      const searched = terms.filter(searchable);
      const best = searched.length === 0 ? [] : bestPerQuestion(search.search(searched.join(' '), options));
      const weight = terms.reduce((sum, t) => sum + idf(t), 0);
      return best.slice(0, limit).map((r, i) => {
        const found = r.queryTerms.reduce((sum, t) => sum + idf(t), 0);
        const explained = found / (found + UNEXPLAINED * (weight - found));
        // The runner-up of the first is the second; of any other, the first.
        const rival = (i === 0 ? best[1] : best[0])?.score ?? 0;
        const margin = 1 - Math.min(1, rival / r.score) * RIVALRY;
        const question = entries[r.question as number] as QuestionEntry;
        return { question, confidence: round(Math.min(1, explained) * margin) };
      });
    },
  };
}

const round = (x: number) => Math.round(x * 1000) / 1000;

function entryOf(flow: string, q: Question): QuestionEntry {
  const phrasings = q.phrasings.map(phrasingText);
  const first = phrasings[0] ?? q.id;
  return {
    id: q.id,
    flow,
    target: questionTarget(flow, q.goto),
    title: q.title ?? Array.from(first).slice(0, 20).join('').trim(),
    phrasings,
  };
}

/** minisearch ranks phrasings; a question is as good as its best phrasing. */
function bestPerQuestion(results: readonly SearchResult[]): SearchResult[] {
  const seen = new Set<unknown>();
  return results.filter((r) => !seen.has(r.question) && seen.add(r.question));
}

/**
 * Whether a typed term can match any indexed word: exactly, as a prefix or within its typo
 * allowance, a word keeps all but fuzzy(term) of the term's characters (UTF-16 units, as
 * minisearch compares them), so a term with more characters no phrasing has (an order or phone
 * number, an email, an emoji) matches nothing. Leaving it out of the search changes no result
 * (minisearch scores each term on its own and adds them up) and spares its fuzzy search, most of
 * what a miss costs. It still counts in the text's weight, like any word no phrasing explains.
 */
export function reachableTerms(docs: readonly { readonly text: string }[]): (term: string) => boolean {
  const alphabet = new Set<number>();
  for (const d of docs) for (let i = 0; i < d.text.length; i++) alphabet.add(d.text.charCodeAt(i));
  return (term) => {
    let missing = 0;
    const allowed = fuzzy(term);
    for (let i = 0; i < term.length; i++) if (!alphabet.has(term.charCodeAt(i)) && ++missing > allowed) return false;
    return true;
  };
}

function documentFrequencies(docs: readonly Doc[]): Map<string, number> {
  const df = new Map<string, number>();
  for (const d of docs) for (const t of d.text.split(' ')) df.set(t, (df.get(t) ?? 0) + 1);
  return df;
}
