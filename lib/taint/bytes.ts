/**
 * Reading a long string from its UTF-8 bytes. One `TextEncoder.encodeInto`
 * call copies the bytes out at native speed, where `charCodeAt` in a loop
 * costs ~20-30 instructions a character: V8 cannot keep the string's
 * representation check out of the loop. In UTF-8 an ASCII byte only ever
 * stands for that ASCII character and every byte of a non-ASCII character is
 * 0x80 or above, so a pass that treats all non-ASCII alike reads the same
 * from either (session 31 in docs/performance-history.md).
 *
 * Each reader keeps its own encoder and a buffer of BYTES_READ bytes as
 * constants of its own module, read synchronously right after encoding: a
 * buffer reached through another module's export, or through an object's
 * field, is not a constant to the compiled loop, and V8 then re-reads where
 * it lives on every access, which cost the whole gain.
 */

/**
 * Payloads this long (a query, a path, a URL) are indexed from their bytes, values this long (`classify`) are
 * read from them: below each, the call costs more than it saves. Timed on Node 20 and 24, indexing gains from 40
 * characters on, `classify`, whose loop does less per character, from 48 (session 31).
 */
export const LONG_TEXT = 32;
export const LONG_VALUE = 48;

/** The size of each reader's buffer. A longer string is read on by character past what fits. */
export const BYTES_READ = 16 * 1024;
