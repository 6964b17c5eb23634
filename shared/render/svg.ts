/** SVG text and lines as strings (no DOM), for the chart. */

/** The chart's text colour, unless a style says otherwise. */
const TEXT_COLOUR = '#1a1a1a';

export type Point = number | null;

export interface TextStyle {
  size: number;
  weight?: 400 | 700;
  anchor?: 'start' | 'middle' | 'end';
  fill?: string;
  /** A white outline behind the glyphs, for text drawn over lines. */
  halo?: boolean;
}

export function text(x: number, y: number, content: string, style: TextStyle): string {
  const attrs = [
    `x="${r(x)}"`,
    `y="${r(y)}"`,
    `font-size="${style.size}"`,
    style.weight === 700 ? 'font-weight="700"' : '',
    style.anchor && style.anchor !== 'start' ? `text-anchor="${style.anchor}"` : '',
    `fill="${style.fill ?? TEXT_COLOUR}"`,
    style.halo ? 'stroke="#ffffff" stroke-width="5" stroke-linejoin="round" paint-order="stroke"' : '',
  ].filter(Boolean);
  return `<text ${attrs.join(' ')}>${escapeXml(content)}</text>`;
}

export function line(
  x1: number,
  y1: number,
  x2: number,
  y2: number,
  stroke: string,
  width: number,
  dash = '',
  className = '',
): string {
  return `<line${className ? ` class="${className}"` : ''} x1="${r(x1)}" y1="${r(y1)}" x2="${r(x2)}" y2="${r(y2)}" stroke="${stroke}" stroke-width="${width}"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`;
}

/** Roughly how wide Roboto sets this text: no DOM to measure it, and layout only needs to avoid overlaps. */
export const textWidth = (content: string, size: number, bold = false): number =>
  content.length * size * (bold ? 0.53 : 0.5);

/** The text, cut with an ellipsis so it fits in `room` pixels. */
export function ellipsize(content: string, size: number, room: number, bold = false): string {
  if (textWidth(content, size, bold) <= room) return content;
  const chars = Math.max(1, Math.floor(room / (size * (bold ? 0.53 : 0.5))) - 1);
  return `${content.slice(0, chars)}…`;
}

export const r = (n: number): string => String(Math.round(n * 10) / 10);
export const isValue = (v: Point | undefined): v is number => typeof v === 'number' && Number.isFinite(v);
export const escapeXml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
