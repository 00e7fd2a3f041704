// A minimal terminal for tests of what a TTY shows: carriage return, line feed, erase to the
// end of the line (ESC [ K), colours and other SGR sequences (ignored), printable text written
// over what is there. The screen is every line ever shown, in order, without trailing blanks.
export function screenOf(bytes: Buffer | string): string[] {
  const text = typeof bytes === 'string' ? bytes : bytes.toString('utf8');
  const lines: string[][] = [[]];
  let row = 0;
  let col = 0;
  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i]!;
    if (ch === '\r') col = 0;
    else if (ch === '\n') {
      row += 1;
      col = 0;
      lines[row] ??= [];
    } else if (ch === '\u001b' && text[i + 1] === '[') {
      let j = i + 2;
      while (j < text.length && !/[@-~]/.test(text[j]!)) j += 1;
      if (text[j] === 'K') lines[row]!.length = col;
      i = j;
    } else {
      lines[row]![col] = ch;
      col += 1;
    }
  }
  return lines.map((line) =>
    Array.from(line, (c) => c ?? ' ')
      .join('')
      .trimEnd(),
  );
}
