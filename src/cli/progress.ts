/**
 * A one-line progress display on stderr, drawn only on a terminal and at most
 * a few times a second, erased when the work is done.
 */
export class Progress {
  private readonly enabled: boolean;
  private lastDraw = 0;
  private drawn = false;

  constructor(enabled = process.stderr.isTTY === true) {
    this.enabled = enabled;
  }

  update(text: () => string): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.lastDraw < 200) return;
    this.lastDraw = now;
    process.stderr.write(`\r\x1b[K${text()}`);
    this.drawn = true;
  }

  done(): void {
    if (this.drawn) process.stderr.write('\r\x1b[K');
    this.drawn = false;
  }
}
