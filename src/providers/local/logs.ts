import { open, stat } from 'node:fs/promises';

/** Reads the last `lines` lines of a file without reading all of it. */
export async function tailFile(path: string, lines: number): Promise<string[]> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch {
    return [];
  }
  const fh = await open(path, 'r');
  try {
    let pos = size;
    let text = '';
    const chunk = 64 * 1024;
    while (pos > 0) {
      const len = Math.min(chunk, pos);
      pos -= len;
      const buf = Buffer.alloc(len);
      await fh.read(buf, 0, len, pos);
      text = buf.toString('utf8') + text;
      if (text.split('\n').length > lines + 1) break;
    }
    const all = text.split('\n');
    if (all[all.length - 1] === '') all.pop();
    return all.slice(-lines);
  } finally {
    await fh.close();
  }
}
