import { describe, expect, it } from 'vitest';
import { AddressSpace } from '../../src/heap/address-space.js';

const KiB = 1024;
const MiB = 1024 * KiB;

describe('the modelled mmap area (top-down, like Linux)', () => {
  it('packs mappings downwards from the top, page-rounded', () => {
    const space = new AddressSpace(0x1000_0000, 64 * MiB);
    const top = space.topOs;
    const a = space.map(MiB);
    const b = space.map(260 * KiB + 100);
    const c = space.map(MiB);
    expect(a).toBe(top - MiB);
    expect(b).toBe(a - 264 * KiB);
    expect(c).toBe(b - MiB);
    // The odd-sized mapping in between shifts the next arena off 16 KiB alignment.
    expect(c % (16 * KiB)).not.toBe(0);
    expect(space.mappedBytes).toBe(2 * MiB + 264 * KiB);
  });

  it('reuses the highest hole that fits', () => {
    const space = new AddressSpace(0x1000_0000, 64 * MiB);
    const a = space.map(MiB);
    const b = space.map(MiB);
    space.map(MiB);
    space.unmap(a, MiB);
    space.unmap(b, MiB);
    expect(space.map(512 * KiB)).toBe(a + 512 * KiB);
    expect(space.map(MiB)).toBe(b + 512 * KiB);
  });

  it('grows a mapping in place when the pages above are free, else moves it', () => {
    const space = new AddressSpace(0x1000_0000, 64 * MiB);
    const a = space.map(MiB);
    const b = space.map(MiB);
    space.unmap(a, MiB);
    expect(space.remap(b, 2 * MiB)).toBe(b);
    const c = space.map(MiB);
    expect(space.remap(c, 2 * MiB)).toBe(c - 2 * MiB);
  });

  it('refuses mappings that would meet the brk heap', () => {
    const space = new AddressSpace(0x1000_0000, 4 * MiB);
    expect(space.setBrk(0x1000_0000 + 3 * MiB)).toBe(true);
    expect(space.map(2 * MiB)).toBe(-1);
    expect(space.map(MiB)).toBe(0x1000_0000 + 3 * MiB);
    expect(space.setBrk(0x1000_0000 + 3 * MiB + 4096)).toBe(false);
  });
});
