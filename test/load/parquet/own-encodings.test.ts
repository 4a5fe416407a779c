/**
 * The own writer's encodings as pure functions: BYTE_STREAM_SPLIT (the word-wise path equals the
 * byte-wise definition) and the RLE / bit-packing hybrid (decoded back by an independent decoder
 * written from parquet-format's Encodings.md), over runs and values that cross its internal flushes;
 * and the page headers written without building their Thrift struct (the generic encoder's bytes).
 */
import { describe, expect, it } from 'vitest';
import { ByteBuffer } from '../../../src/load/parquet/byte-buffer.js';
import { bitWidthOf, HybridEncoder } from '../../../src/load/parquet/hybrid-rle.js';
import { byteStreamSplit } from '../../../src/load/parquet/own-float-lists.js';
import {
  Encoding,
  PageType,
  struct,
  writeDataPageHeader,
  writeDictionaryPageHeader,
} from '../../../src/load/parquet/own-pages.js';
import { encodeStruct, TType } from '../../../src/load/parquet/thrift-compact.js';

/** The definition: byte k of value i at k * n + i. */
function splitByBytes(src: Uint8Array, width: number): Uint8Array {
  const n = src.byteLength / width;
  const out = new Uint8Array(src.byteLength);
  for (let i = 0; i < n; i++) for (let k = 0; k < width; k++) out[k * n + i] = src[i * width + k];
  return out;
}

/** Decodes `count` values of a hybrid run sequence. */
function decodeHybrid(bytes: Uint8Array, bitWidth: number, count: number): number[] {
  const out: number[] = [];
  let at = 0;
  const varint = (): number => {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      const b = bytes[at++];
      value += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return value;
    }
  };
  while (out.length < count) {
    const header = varint();
    if (header % 2 === 0) {
      let value = 0;
      for (let i = 0; i < Math.ceil(bitWidth / 8); i++) value += bytes[at++] * 2 ** (8 * i);
      for (let i = 0; i < header / 2; i++) out.push(value);
    } else {
      const values = ((header - 1) / 2) * 8;
      let bit = at * 8;
      for (let i = 0; i < values; i++) {
        let value = 0;
        for (let b = 0; b < bitWidth; b++, bit++) if (bytes[bit >> 3] & (1 << (bit & 7))) value += 2 ** b;
        out.push(value);
      }
      at += ((header - 1) / 2) * bitWidth;
    }
  }
  expect(at).toBe(bytes.byteLength);
  return out.slice(0, count);
}

describe('byteStreamSplit', () => {
  for (const width of [4, 8])
    for (const n of [0, 1, 3, 4, 8, 1001, 4032])
      it(`width ${width}, ${n} values`, () => {
        const src = new Uint8Array(n * width).map((_, i) => (i * 37 + 11) & 0xff);
        const dst = new Uint8Array(n * width + 8);
        byteStreamSplit(src, dst, 4, width);
        expect(dst.subarray(4, 4 + n * width)).toEqual(splitByBytes(src, width));
        // Unaligned output: the byte-wise path.
        byteStreamSplit(src, dst, 3, width);
        expect(dst.subarray(3, 3 + n * width)).toEqual(splitByBytes(src, width));
      });
});

describe('HybridEncoder', () => {
  const cases: [string, [number, number][], number][] = [
    [
      'level runs of a 2D tensor',
      Array.from(
        { length: 50 },
        () =>
          [
            [0, 1],
            [1, 4031],
          ] as [number, number][],
      ).flat(),
      1,
    ],
    ['unique dictionary indices past a flush', Array.from({ length: 3000 }, (_, i) => [i, 1] as [number, number]), 12],
    ['short and long runs mixed', Array.from({ length: 700 }, (_, i) => [i % 5, (i * 7) % 13] as [number, number]), 3],
    ['one value, width 0', [[0, 5000]], 0],
    ['wide values', Array.from({ length: 40 }, (_, i) => [2 ** 20 + i * 977, 1 + (i % 9)] as [number, number]), 21],
  ];
  for (const [name, runs, width] of cases)
    it(name, () => {
      const expected = runs.flatMap(([value, count]) => Array.from({ length: count }, () => value));
      expect(bitWidthOf(expected.reduce((m, v) => Math.max(m, v), 0))).toBeLessThanOrEqual(width);
      const out = new ByteBuffer(16);
      out.byte(0xaa);
      const encoder = new HybridEncoder();
      encoder.start(out, width);
      for (const [value, count] of runs) encoder.put(value, count);
      encoder.finish();
      expect(out.bytes[0]).toBe(0xaa);
      expect(decodeHybrid(out.content().subarray(1), width, expected.length)).toEqual(expected);
    });
});

describe('page headers written directly', () => {
  // Sizes and counts across the varint byte boundaries (1, 2, 3 and 5 bytes once zigzagged).
  const values = [0, 1, 63, 64, 8191, 8192, 1 << 20, 2 ** 31 - 1];

  it('a data page header has the bytes encodeStruct gives its struct', () => {
    for (const size of values)
      for (const count of values)
        for (const encoding of [Encoding.PLAIN, Encoding.RLE_DICTIONARY, Encoding.BYTE_STREAM_SPLIT]) {
          const out = new ByteBuffer(4);
          writeDataPageHeader(out, size, count, count, encoding);
          const expected = encodeStruct(
            struct(
              [1, TType.I32, PageType.DATA_PAGE],
              [2, TType.I32, size],
              [3, TType.I32, count],
              [
                5,
                TType.STRUCT,
                struct(
                  [1, TType.I32, count],
                  [2, TType.I32, encoding],
                  [3, TType.I32, Encoding.RLE],
                  [4, TType.I32, Encoding.RLE],
                ),
              ],
            ),
          );
          expect(out.content()).toEqual(expected);
        }
  });

  it('a dictionary page header has the bytes encodeStruct gives its struct', () => {
    for (const size of values)
      for (const entries of values) {
        const out = new ByteBuffer(4);
        writeDictionaryPageHeader(out, size, size >> 1, entries);
        const expected = encodeStruct(
          struct(
            [1, TType.I32, PageType.DICTIONARY_PAGE],
            [2, TType.I32, size],
            [3, TType.I32, size >> 1],
            [7, TType.STRUCT, struct([1, TType.I32, entries], [2, TType.I32, Encoding.PLAIN], [3, TType.BOOL, false])],
          ),
        );
        expect(out.content()).toEqual(expected);
      }
  });
});
