// Draws the toolbar icon (a target on a blue rounded square) as PNGs, so the repository holds no binaries.

import { deflateSync } from "node:zlib";

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = CRC_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** RGBA of the pixel at (x, y) in a size×size icon, sampled at the pixel's centre. */
function pixel(x, y, size) {
  const u = (x + 0.5) / size;
  const v = (y + 0.5) / size;
  const corner = 0.2;
  const dx = Math.max(corner - u, 0, u - (1 - corner));
  const dy = Math.max(corner - v, 0, v - (1 - corner));
  if (Math.hypot(dx, dy) > corner) return [0, 0, 0, 0];
  const r = Math.hypot(u - 0.5, v - 0.5);
  const ring = Math.abs(r - 0.26) < 0.055 || r < 0.08;
  const cross = (Math.abs(u - 0.5) < 0.035 || Math.abs(v - 0.5) < 0.035) && r > 0.3 && r < 0.42;
  return ring || cross ? [255, 255, 255, 255] : [37, 99, 235, 255];
}

export function iconPng(size) {
  const rows = [];
  for (let y = 0; y < size; y++) {
    const row = Buffer.alloc(1 + size * 4);
    for (let x = 0; x < size; x++) Buffer.from(pixel(x, y, size)).copy(row, 1 + x * 4);
    rows.push(row);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(Buffer.concat(rows))),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}
