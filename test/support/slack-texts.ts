/** Every text Slack parses in a call: fallbacks and mrkdwn objects (plain_text is shown as typed, never parsed). */
export function parsedTexts(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) parsedTexts(v, out);
  else if (value && typeof value === 'object') {
    const object = value as Record<string, unknown>;
    if (object.type === 'plain_text') return out;
    for (const [key, v] of Object.entries(object)) {
      if (key === 'text' && typeof v === 'string') out.push(v);
      else if (key !== 'value' && key !== 'private_metadata') parsedTexts(v, out);
    }
  }
  return out;
}
