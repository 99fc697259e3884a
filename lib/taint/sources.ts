import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { RequestScope } from '../context';
import type { TaintInput } from '../types';
import { CHAR_CLASSES, CH_NONWORD, classify, formsOf, jsonUnescape, type DecodedForm } from './decode';
import type { OverflowPart } from './overflow';

/**
 * Turning a request into taint inputs, each with its source path. Limits keep
 * a hostile request (10k query keys, a 1 MB header, a deeply nested body)
 * from making extraction itself the denial of service. What they leave out is
 * not dropped: the list keeps it as overflow (lib/taint/overflow.ts), whose
 * values become inputs at a sink call whose texts hold them.
 */
const MAX_INPUTS = 512;
const MAX_DEPTH = 8;
const MAX_VALUE = 16 * 1024;
/** JSON texts read inside JSON texts (a JSON string holding JSON): enough for double encoding. */
const MAX_JSON_NESTING = 2;
/** String literals read from one GraphQL document (`graphqlStrings`); the inputs bound applies to them too. */
const MAX_GRAPHQL_STRINGS = 512;

/** Where GraphQL over HTTP puts the document: a JSON body's `query`, the URL's `?query=`. */
export function isGraphqlDocument(name: string): boolean {
  return name === 'body.query' || name === 'query.query';
}
const GRAPHQL_CHAIN: readonly string[] = Object.freeze(['graphql']);
/**
 * The decoding step of a field read from a JSON text inside a value (`addJsonText`): not 'json', which is the
 * string-unescaping decoder's (lib/taint/decode.ts).
 */
const JSON_FIELD = 'json-field';

/**
 * The string literals of a GraphQL document, each named by the argument or field it is given to (`name` in
 * `user(name: "…")`, else its position: `string3`). Block strings (`"""…"""`) are read as written; comments
 * (`#` to the line's end) are passed over. A document that is not GraphQL yields what its quotes enclose.
 */
export function graphqlStrings(doc: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const n = doc.length;
  let i = 0;
  while (i < n && out.length < MAX_GRAPHQL_STRINGS) {
    const c = doc.charCodeAt(i);
    if (c === 0x23) {
      const eol = doc.indexOf('\n', i);
      i = eol === -1 ? n : eol + 1;
      continue;
    }
    if (c !== 0x22) {
      i++;
      continue;
    }
    const name = argumentName(doc, i) ?? `string${out.length}`;
    if (doc.startsWith('"""', i)) {
      let end = doc.indexOf('"""', i + 3);
      while (end !== -1 && doc.charCodeAt(end - 1) === 0x5c) end = doc.indexOf('"""', end + 1);
      const stop = end === -1 ? n : end;
      out.push([name, doc.slice(i + 3, stop).replace(/\\"""/g, '"""')]);
      i = stop + 3;
      continue;
    }
    let j = i + 1;
    while (j < n && doc.charCodeAt(j) !== 0x22 && doc.charCodeAt(j) !== 0x0a) j += doc.charCodeAt(j) === 0x5c ? 2 : 1;
    const raw = doc.slice(i + 1, Math.min(j, n));
    // GraphQL's escapes are JSON's (and `\u{…}`, which JSON does not know: such a literal is taken as written).
    out.push([name, jsonUnescape(raw) ?? raw]);
    i = j + 1;
  }
  return out;
}

/** The name before `: "` at `quote` (an argument's or an input field's), if any. */
function argumentName(doc: string, quote: number): string | undefined {
  let k = quote - 1;
  while (k >= 0 && (doc.charCodeAt(k) === 0x20 || doc.charCodeAt(k) === 0x09 || doc.charCodeAt(k) === 0x0a || doc.charCodeAt(k) === 0x0d)) k--;
  if (k < 0 || doc.charCodeAt(k) !== 0x3a) return undefined;
  k--;
  while (k >= 0 && (doc.charCodeAt(k) === 0x20 || doc.charCodeAt(k) === 0x09)) k--;
  const end = k + 1;
  while (k >= 0 && isNameChar(doc.charCodeAt(k))) k--;
  return end > k + 1 ? doc.slice(k + 1, end) : undefined;
}

/** A character of a GraphQL name: [A-Za-z0-9_]. */
function isNameChar(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x5f;
}
/** Shared by every input taken as sent (most of them): nothing is allocated for "no decoding". */
const AS_SENT: readonly string[] = Object.freeze([]);

/** What `add` works out from a value alone: its `classify` result and decoded forms (both immutable). */
interface Reading {
  readonly cls: number;
  readonly forms: readonly DecodedForm[];
}

/*
 * Readings of values that come back request after request: the values of
 * the headers that describe a client (user agent, content type, accept
 * lists). Keys are remembered on their source node instead (SourceNode).
 * Reading one costs a pass over its characters and, for a word, a base64
 * trial decode; a hit costs one hash lookup. Body and query values are mostly
 * unique (names, emails, ids) and are read afresh, so that misses do not
 * churn the map; so are other headers, which may carry credentials
 * (authorization, API keys, a referer's query string) that must not outlive
 * their request here.
 * Bounded: cleared when full, so a client sending new values each time costs
 * only its own misses.
 */
const REMEMBERED_HEADERS: ReadonlySet<string> = new Set([
  'host', 'user-agent', 'accept', 'accept-encoding', 'accept-language', 'content-type', 'connection', 'origin',
  'cache-control', 'pragma', 'dnt', 'upgrade-insecure-requests', 'x-requested-with', 'sec-ch-ua',
  'sec-ch-ua-mobile', 'sec-ch-ua-platform', 'sec-fetch-site', 'sec-fetch-mode', 'sec-fetch-dest', 'sec-fetch-user',
]);
const readings = new Map<string, Reading>();
const MAX_READINGS = 1024;
const MAX_READING_LEN = 256;

/** Test seam: whether `value`'s reading is remembered. */
export function __remembered(value: string): boolean {
  return readings.has(value);
}

/** The remembered reading of `value` (at most MAX_READING_LEN characters), read now if it is not yet. */
function rememberedReading(value: string): Reading {
  let r = readings.get(value);
  if (r === undefined) {
    const cls = classify(value);
    r = { cls, forms: formsOf(value, cls) };
    if (readings.size >= MAX_READINGS) readings.clear();
    readings.set(value, r);
  }
  return r;
}

/*
 * Source names, interned across requests. A request's inputs are named by
 * where they sit ('body.address.city', 'body.items[0].sku:key'); an API's
 * bodies and queries have the same fields request after request, so each
 * name is built once, as a node of this tree, rather than concatenated for
 * every input of every request (the concatenation and the strings it made
 * were a fifth of extraction's cost). A key's own inputs (the key and its
 * decoded forms) are immutable and kept on its node, so a known key costs a
 * map lookup and no allocation. Bounded like `readings`: at MAX_NODES the
 * tree is dropped and regrown, and a name too long to keep (a key that is
 * data) makes a node that is not kept, nor are its children.
 */
const MAX_NODES = 2048;
const MAX_NODE_NAME = 128;
let nodeCount = 0;

class SourceNode {
  private children: Map<string | number, SourceNode> | undefined = undefined;
  private keyList: readonly TaintInput[] | undefined = undefined;
  /** For a remembered header: its last value and the inputs read from it (the same value comes back on most requests). */
  lastValue: string | undefined = undefined;
  lastInputs: readonly TaintInput[] | undefined = undefined;

  /** Whether this is where GraphQL over HTTP puts the document (`body.query`, `query.query`). */
  readonly graphql: boolean;

  constructor(
    readonly name: string,
    /** Whether children are kept: false below a name too long to keep, or when not in the tree at all. */
    private readonly keeps: boolean,
    /** The tree's generation this node belongs to (see `resetTree`): an older node keeps no more children. */
    private readonly generation: number,
  ) {
    this.graphql = isGraphqlDocument(name);
  }

  child(k: string | number): SourceNode {
    const known = this.children?.get(k);
    if (known !== undefined) return known;
    const name = typeof k === 'number' ? `${this.name}[${k}]` : this.name === '' ? k : `${this.name}.${k}`;
    if (!this.keeps || this.generation !== generation || name.length > MAX_NODE_NAME) return new SourceNode(name, false, -1);
    if (nodeCount >= MAX_NODES) {
      resetTree();
      return new SourceNode(name, false, -1);
    }
    const c = new SourceNode(name, true, generation);
    (this.children ??= new Map()).set(k, c);
    nodeCount++;
    return c;
  }

  /** The inputs of this node's key `k` (the last step of its name): the key as sent, then its decoded forms. */
  keyInputs(k: string): readonly TaintInput[] {
    let list = this.keyList;
    if (list === undefined) {
      const value = k.length > MAX_VALUE ? k.slice(0, MAX_VALUE) : k;
      const cls = classify(value);
      list = readInputs(`${this.name}:key`, value, cls, formsOf(value, cls));
      if (this.generation !== -1) this.keyList = list;
    }
    return list;
  }
}

/**
 * A value of the overflow (lib/taint/overflow.ts) that a sink holds, read whole: its classes over all of it, so a
 * quote past MAX_VALUE counts; the decoded forms of one longer than that are not read.
 */
export function readWhole(source: string, value: string): readonly TaintInput[] {
  const cls = classify(value);
  return readInputs(source, value, cls, value.length > MAX_VALUE ? [] : formsOf(value, cls));
}

/** A value's inputs, kept to be reused (a key's, a remembered header's): the value as sent, then its decoded forms. */
function readInputs(source: string, value: string, cls: number, forms: readonly DecodedForm[]): readonly TaintInput[] {
  const out: TaintInput[] = [{ source, value, decoding: AS_SENT, chars: cls & CHAR_CLASSES }];
  for (const f of forms) out.push({ source, value: f.value, decoding: f.decoding, chars: f.chars });
  return out;
}

let generation = 0;
function root(name: string): SourceNode {
  return new SourceNode(name, true, generation);
}
let BODY = root('body');
let QUERY = root('query');
let PARAMS = root('params');
let HEADERS = root('headers');
let COOKIES = root('cookies');
let PATH = root('path');

/** Drop the whole tree: nodes already handed out stay valid for their request, but keep nothing more. */
function resetTree(): void {
  generation++;
  nodeCount = 0;
  BODY = root('body');
  QUERY = root('query');
  PARAMS = root('params');
  HEADERS = root('headers');
  COOKIES = root('cookies');
  PATH = root('path');
}

/** The interned root of a request's part. */
function partRoot(part: RequestPart): SourceNode {
  return part === 'body' ? BODY : part === 'params' ? PARAMS : QUERY;
}

/** The parts of an HTTP request whose structures are read as trees, with names interned across requests. */
export type RequestPart = 'body' | 'query' | 'params';

/** Test seam: how many source names are interned. */
export function __sourceNodes(): number {
  return nodeCount;
}

/** Collector that adds each value and its decoded forms, within bounds. */
export class InputList {
  items: TaintInput[] = [];
  /**
   * The items that are not one word (CH_NONWORD), in the same order: what the
   * SQL check reads (taint/index.ts, nonWordInputsOf). Collected here, while
   * each input is at hand, because filtering later reads every input object
   * again, at about the cost the filter saves.
   */
  nonWord: TaintInput[] = [];
  /** The parts and values the bounds cut short, in the order they were added (lib/taint/overflow.ts). */
  overflow: OverflowPart[] | undefined = undefined;
  /** Whether a part is being read (`addRoot`): what the bounds leave out of it is kept as the whole part. */
  private inRoot = false;
  /** Set while a part is read, when a bound left some of it out. */
  private cut = false;
  /** While a JSON text's fields are read (`addJsonText`): the decoding that led to them, ending in JSON_FIELD. */
  private chain: readonly string[] | undefined = undefined;
  private jsonDepth = 0;

  /**
   * Keep the first `items` inputs (of which `nonWord` are not one word) and `overflow` overflow parts in new
   * arrays, to extend them: a request's list grows as its parts appear and is cut back when a part is replaced,
   * and the arrays handed out before must stay as they were. Not `handedOut`, and nothing to cut: kept as they are.
   * The overflow is counted apart from the items: a part that the inputs bound cut begins where the last one ended.
   */
  cutTo(items: number, nonWord: number, handedOut: boolean, overflow: number): void {
    if (this.overflow !== undefined && overflow < this.overflow.length) {
      this.overflow = overflow > 0 ? this.overflow.slice(0, overflow) : undefined;
    }
    if (!handedOut && items === this.items.length) return;
    this.items = this.items.slice(0, items);
    this.nonWord = this.nonWord.slice(0, nonWord);
  }

  /** How many overflow parts the list holds: where a part's begin, for `cutTo`. */
  get overflowCount(): number {
    return this.overflow?.length ?? 0;
  }

  private overflowed(name: string, value: unknown): void {
    (this.overflow ??= []).push({ name, value });
  }

  /** A bound left `value` out: inside a part, the part is kept when it is done; outside, the value itself. */
  private leftOut(name: string, value: unknown): void {
    if (this.inRoot) this.cut = true;
    else this.overflowed(name, value);
  }

  /** `repeats`: the value of a client-describing header, whose reading is remembered across requests (`readings`). */
  add(source: string, raw: string, repeats = false): void {
    if (raw.length === 0) return;
    if (this.items.length >= MAX_INPUTS) {
      this.leftOut(source, raw);
      return;
    }
    // A long value's first MAX_VALUE characters are read now; the whole value is judged where a sink holds it.
    if (raw.length > MAX_VALUE) this.overflowed(source, raw);
    const value = raw.length > MAX_VALUE ? raw.slice(0, MAX_VALUE) : raw;
    let cls: number;
    let forms: readonly DecodedForm[];
    if (repeats && value.length <= MAX_READING_LEN) {
      const r = rememberedReading(value);
      cls = r.cls;
      forms = r.forms;
    } else {
      // Read in place: most values are read once, and need no object to carry the reading.
      cls = classify(value);
      forms = formsOf(value, cls);
    }
    const chain = this.chain;
    const input: TaintInput = { source, value, decoding: chain ?? AS_SENT, chars: cls & CHAR_CLASSES };
    this.items.push(input);
    if ((cls & CH_NONWORD) !== 0) this.nonWord.push(input);
    for (let i = 0; i < forms.length && this.items.length < MAX_INPUTS; i++) {
      const f = forms[i]!;
      const form: TaintInput = { source, value: f.value, decoding: chain === undefined ? f.decoding : [...chain, ...f.decoding], chars: f.chars };
      this.items.push(form);
      if ((f.chars & CH_NONWORD) !== 0) this.nonWord.push(form);
    }
    // A value that is JSON text, as sent or once decoded (a base64url cursor, `?filter={...}`): an app that parses
    // it reads its fields, so they are inputs too. Most values have no decoded form, and are words or fail at the
    // first character.
    if ((forms.length !== 0 || ((cls & CH_NONWORD) !== 0 && looksLikeJson(value))) && this.jsonDepth < MAX_JSON_NESTING) {
      this.addJsonTexts(source, value, forms, chain);
    }
  }

  private addGraphqlStrings(source: string, document: string): void {
    const outer = this.chain;
    this.chain = GRAPHQL_CHAIN;
    try {
      for (const [name, value] of graphqlStrings(document)) this.add(`${source}.${name}`, value);
    } finally {
      this.chain = outer;
    }
  }

  private addJsonTexts(source: string, value: string, forms: readonly DecodedForm[], chain: readonly string[] | undefined): void {
    if (looksLikeJson(value)) this.addJsonText(source, value, chain ?? AS_SENT);
    for (let i = 0; i < forms.length; i++) {
      const f = forms[i]!;
      if (looksLikeJson(f.value)) this.addJsonText(source, f.value, chain === undefined ? f.decoding : [...chain, ...f.decoding]);
    }
  }

  /** The fields of a value that parses as a JSON object or array, named below the value's source. */
  private addJsonText(source: string, text: string, decoding: readonly string[]): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return;
    }
    if (parsed === null || typeof parsed !== 'object') return;
    const outer = this.chain;
    this.chain = [...decoding, JSON_FIELD];
    this.jsonDepth++;
    try {
      this.addRoot(new SourceNode(source, false, -1), parsed);
    } finally {
      this.chain = outer;
      this.jsonDepth--;
    }
  }

  /** Inputs already read (a key's, a remembered header's): shared, never changed. */
  private addRead(inputs: readonly TaintInput[]): void {
    if (this.items.length >= MAX_INPUTS && inputs.length > 0) this.leftOut(inputs[0]!.source, inputs[0]!.value);
    for (let i = 0; i < inputs.length && this.items.length < MAX_INPUTS; i++) {
      const input = inputs[i]!;
      this.items.push(input);
      if ((input.chars! & CH_NONWORD) !== 0) this.nonWord.push(input);
    }
  }

  /** A key (of a body, a query, a form) and its value. */
  addField(node: SourceNode, key: string, v: unknown, depth: number): void {
    if (key.length > 1) this.addRead(node.keyInputs(key));
    this.addNode(node, v, depth);
  }

  /** A client-describing header's value, read once per distinct value (`readings`) and reused while it repeats. */
  addRemembered(node: SourceNode, v: string): void {
    if (v.length === 0 || v.length > MAX_READING_LEN) {
      this.add(node.name, v, false);
      return;
    }
    if (node.lastValue !== v || node.lastInputs === undefined) {
      const r = rememberedReading(v);
      node.lastValue = v;
      node.lastInputs = readInputs(node.name, v, r.cls, r.forms);
    }
    this.addRead(node.lastInputs);
  }

  /**
   * Values of a parsed structure under any label (an `untrusted()` scope's message): keys are input too.
   * Its names are not interned: such labels and keys (message ids, per-tenant fields) need not repeat.
   */
  addTree(prefix: string, v: unknown): void {
    this.addRoot(new SourceNode(prefix, false, -1), v);
  }

  /** A request's parsed body, query or params: as `addTree`, with the names interned (SourceNode). */
  addPart(part: RequestPart, v: unknown): void {
    this.addRoot(partRoot(part), v);
  }

  /** The whole part is kept as overflow when a bound cut it short: which of its leaves were read is not kept. */
  private addRoot(node: SourceNode, v: unknown): void {
    // A root may open inside another (a JSON text in a body's field): the outer one's state is kept for it.
    const outerIn = this.inRoot;
    const outerCut = this.cut;
    this.inRoot = true;
    this.cut = false;
    try {
      this.addNode(node, v, 0);
    } finally {
      this.inRoot = outerIn;
    }
    // At the bound with nothing left out is taken as cut too: the forms and keys loops stop there silently.
    const cut = this.cut || this.items.length >= MAX_INPUTS;
    this.cut = outerCut;
    if (cut) this.overflowed(node.name, v);
  }

  private addNode(node: SourceNode, v: unknown, depth: number): void {
    if (this.items.length >= MAX_INPUTS || depth > MAX_DEPTH) {
      this.leftOut(node.name, v);
      return;
    }
    if (typeof v === 'string') {
      this.add(node.name, v);
      // A GraphQL document (GraphQL over HTTP: a JSON body's or the URL's `query`): its string arguments reach the
      // resolvers as values of their own, so they are inputs of their own.
      if (node.graphql) this.addGraphqlStrings(node.name, v);
    } else if (typeof v === 'number' || typeof v === 'bigint') this.add(node.name, String(v));
    else if (Array.isArray(v)) {
      for (let i = 0; i < v.length && this.items.length < MAX_INPUTS; i++) this.addNode(node.child(i), v[i], depth + 1);
    } else if (v !== null && typeof v === 'object' && !Buffer.isBuffer(v)) {
      // Object.keys, not for-in: for-in was 12 % faster in a micro loop on Node 20, but in an app on
      // Node 24 it kept this function from being optimised (Maglev compiled and deoptimised it on every
      // few requests: "insufficient type feedback for generic keyed access"). `v[k]` is a megamorphic
      // keyed load per field; reading the values through Object.values instead was measured three times
      // (sessions 13, 16 and 21) and saved nothing in a whole request (docs/performance-history.md).
      for (const k of Object.keys(v)) {
        if (this.items.length >= MAX_INPUTS) {
          this.leftOut(node.name, v);
          return;
        }
        this.addField(node.child(k), k, (v as Record<string, unknown>)[k], depth + 1);
      }
    } else if (Buffer.isBuffer(v) && v.length > 0) {
      this.add(node.name, v.toString('utf8', 0, Math.min(v.length, MAX_VALUE)));
    }
  }
}

/**
 * Whether `path` before `end` has two '/' or more ('/a/b', '/a/'): only then are its segments inputs of their own.
 * Most API paths have one ('/order', '/graphql'); two searches tell so, sparing a split (~2 k instructions a request
 * in the app), and extraction reads the route, which decides only which segments are literal, only then.
 */
export function hasSegments(path: string, end: number): boolean {
  const second = path.indexOf('/', path.indexOf('/') + 1);
  return second !== -1 && second < end;
}

/** Path, path segments, query, headers, cookies: what every request has. `url` is the URL as it arrived. */
export function baseInputs(req: IncomingMessage, url: string = req.url ?? '/'): TaintInput[] {
  return baseList(req, url).items;
}

/**
 * `route`: the matched route template ('/ls/:dir'), when a framework knows it. A path segment that is
 * literal in it ('ls') was chosen by the app, not the client: every request to that route has it, so it
 * is not an input (the variable segments are, and are also `params.*`). `headers`: the request scope's (RequestScope).
 */
export function baseList(
  req: IncomingMessage,
  url: string = req.url ?? '/',
  route?: string,
  list: InputList = new InputList(),
  headers: IncomingHttpHeaders = req.headers,
): InputList {
  const q = url.indexOf('?');
  const rawPath = q === -1 ? url : url.slice(0, q);
  let path = rawPath;
  if (rawPath.indexOf('%') !== -1) {
    try {
      path = decodeURIComponent(rawPath);
    } catch {
      /* keep raw */
    }
  }
  list.add('path', path);
  if (hasSegments(path, path.length)) {
    const segs = path.split('/');
    const parts = route?.split('/');
    for (let i = 0; i < segs.length; i++) if (segs[i]!.length > 0 && (parts === undefined || parts[i] !== segs[i])) list.add(PATH.child(i).name, segs[i]!);
  }

  // Express (qs) decorates req.query with nested objects; otherwise parse the query ourselves.
  // Without a '?' there is no query to read: express 5's req.query is a getter that parses
  // the URL on every read (~3 µs in an app under load), so it is not touched then.
  const parsedQuery = q === -1 ? undefined : (req as { query?: unknown }).query;
  if (parsedQuery !== null && typeof parsedQuery === 'object' && Object.keys(parsedQuery).length > 0) {
    list.addPart('query', parsedQuery);
  } else if (q !== -1) {
    for (const [k, v] of new URLSearchParams(url.slice(q + 1))) list.addField(QUERY.child(k), k, v, 1);
  }

  const h = headers;
  for (const name of Object.keys(h)) {
    if (name === 'cookie') continue;
    const v = h[name];
    const node = HEADERS.child(name);
    if (typeof v === 'string') {
      if (REMEMBERED_HEADERS.has(name)) list.addRemembered(node, v);
      else list.add(node.name, v);
    } else if (Array.isArray(v)) for (const x of v) list.add(node.name, x, REMEMBERED_HEADERS.has(name));
  }
  const cookie = h.cookie;
  if (typeof cookie === 'string') {
    for (const part of cookie.split(';')) {
      const eq = part.indexOf('=');
      if (eq <= 0) continue;
      const name = part.slice(0, eq).trim();
      let value = part.slice(eq + 1).trim();
      if (value.length >= 2 && value[0] === '"' && value[value.length - 1] === '"') value = value.slice(1, -1);
      list.add(COOKIES.child(name).name, value);
    }
  }
  return list;
}

export function treeInputs(prefix: string, v: unknown): TaintInput[] {
  return treeList(prefix, v).items;
}

/** A tree's inputs: a request's part (`body`, `query`, `params`) as extraction reads it, any other label as `untrusted()` does. */
export function treeList(prefix: string, v: unknown): InputList {
  const list = new InputList();
  if (prefix === 'body' || prefix === 'query' || prefix === 'params') list.addPart(prefix, v);
  else list.addTree(prefix, v);
  return list;
}

/** Parse the tapped raw body of a plain-http request (`addBodyText`). */
export function rawBodyList(scope: RequestScope, list: InputList = new InputList()): InputList {
  if (scope.rawBody === undefined || scope.rawBodyBytes === 0) return list;
  addBodyText(list, Buffer.concat(scope.rawBody).toString('utf8'), scope.headers['content-type']);
  return list;
}

/**
 * A body as text: the tapped raw body of a plain-http request, or a framework's text body (express.text(), a
 * fastify or koa body that no parser took). Read by its content type, and by its look too: the client chooses the
 * content type and the app need not ask it, so an app that JSON.parses or form-decodes whatever arrives reads the
 * client's fields from a body sent as text/plain, and they must be inputs as they are under the declared type.
 * A body read by its look keeps its whole text as an input too.
 */
export function addBodyText(list: InputList, text: string, contentType: string | undefined): void {
  const type = (contentType ?? '').toLowerCase();
  if (type.startsWith('multipart/form-data')) {
    const boundary = boundaryOf(contentType!);
    // A body that is not multipart after all is read by its look, as under any other declared type.
    if (boundary !== undefined && addMultipart(list, text, boundary) > 0) return;
  }
  const declaredJson = type.includes('json');
  const declaredForm = type.includes('x-www-form-urlencoded');
  if (declaredJson || (!declaredForm && looksLikeJson(text))) {
    try {
      list.addPart('body', JSON.parse(text) as unknown);
      if (declaredJson) return;
    } catch {
      /* a truncated or invalid JSON body is still text */
    }
  } else if (declaredForm || text.includes('=')) {
    for (const [k, v] of new URLSearchParams(text)) list.addField(BODY.child(k), k, v, 1);
    if (declaredForm) return;
  }
  list.add('body', text);
}

/** The `boundary` parameter of a multipart content type, as sent (its case matters), unquoted. */
function boundaryOf(contentType: string): string | undefined {
  const m = /;\s*boundary\s*=\s*(?:"([^"]+)"|([^\s;]+))/i.exec(contentType);
  return m === null ? undefined : (m[1] ?? m[2]);
}

/**
 * A multipart/form-data body's parts (RFC 7578) as the app's parser gives them: each field's value as
 * `body.<name>`, and a file's name as `body.<name>.filename` and its content as `body.<name>`. A framework that
 * parses multipart into its body (multer's `req.body`) is read from there; this is for the apps whose parser hands
 * fields out of band (busboy on plain http, `@fastify/multipart`'s `request.file()`), so that its fields are inputs
 * all the same. A part cut by the tap's bound is read up to the cut. Returns how many named parts it read.
 */
function addMultipart(list: InputList, text: string, boundary: string): number {
  const delimiter = `--${boundary}`;
  let parts = 0;
  let at = text.indexOf(delimiter);
  while (at !== -1) {
    const start = at + delimiter.length;
    if (text.startsWith('--', start)) break; // the closing delimiter
    const headersEnd = text.indexOf('\r\n\r\n', start);
    if (headersEnd === -1) break;
    const next = text.indexOf(`\r\n${delimiter}`, headersEnd + 4);
    const value = text.slice(headersEnd + 4, next === -1 ? text.length : next);
    const disposition = /^content-disposition:([^\r\n]*)$/im.exec(text.slice(start, headersEnd))?.[1] ?? '';
    const name = dispositionParam(disposition, NAME);
    if (name !== undefined) {
      const node = BODY.child(name);
      const filename = dispositionParam(disposition, FILENAME);
      if (filename !== undefined) list.add(node.child('filename').name, filename);
      list.addField(node, name, value, 1);
      parts++;
    }
    at = next === -1 ? -1 : next + 2;
  }
  return parts;
}

/** A Content-Disposition parameter's two spellings: RFC 5987's `param*=charset'lang'<percent-encoded>`, and plain. */
function paramPatterns(param: string): readonly [RegExp, RegExp] {
  return [
    new RegExp(`;\\s*${param}\\*\\s*=\\s*[^']*'[^']*'([^;\\s]*)`, 'i'),
    new RegExp(`;\\s*${param}\\s*=\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|([^;\\s]+))`, 'i'),
  ];
}
const NAME = paramPatterns('name');
const FILENAME = paramPatterns('filename');

/** A Content-Disposition parameter: quoted (with `\"` escapes), bare, or in RFC 5987's form. */
function dispositionParam(disposition: string, [extendedForm, plainForm]: readonly [RegExp, RegExp]): string | undefined {
  const extended = extendedForm.exec(disposition);
  if (extended !== null) {
    try {
      return decodeURIComponent(extended[1]!);
    } catch {
      return extended[1];
    }
  }
  const m = plainForm.exec(disposition);
  if (m === null) return undefined;
  return m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2];
}

/** Whether `text` starts, after whitespace, as a JSON object or array does. */
export function looksLikeJson(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) continue;
    return c === 0x7b || c === 0x5b;
  }
  return false;
}
