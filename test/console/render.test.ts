import fc from 'fast-check';
import { block, message, modal, mrkdwn } from '../../local/console/page/render';
import { approvalRequest } from '../../shared/slack/blocks';
import { aGate, aPolicy, aRun } from '../../testkit/builders';

/** The only tags the renderer writes; anything else in its output would be markup that came from the text. */
const OURS =
  /<\/?(b|i|s|code|pre|br|blockquote|span|time|a|div|button|article|header|hr|h2|h3|img|figure|figcaption|label|textarea|form|footer)\b[^<>]*>/g;
const stripOurs = (html: string) => html.replace(OURS, '');

describe('Function: mrkdwn (the console renderer)', () => {
  it('renders the bot’s own tokens: mentions, group and channel links, dates, links', () => {
    const html = mrkdwn(
      '<@U0ALICE1> and <!subteam^S0SRE> in <#C0REL1> at <!date^1741082400^{time}|10:00 UTC>: <https://grafana.example/d?a=1&amp;b=2|dashboard>',
    );

    expect(html).toBe(
      '<span class="mention">@U0ALICE1</span> and <span class="mention">@S0SRE</span> in <span class="mention">#C0REL1</span> at <time>10:00 UTC</time>: <a href="https://grafana.example/d?a=1&amp;b=2" rel="noopener noreferrer" target="_blank">dashboard</a>',
    );
  });

  it('shows text a person typed (escaped by the bot) as the text it is, never as markup', () => {
    const html = mrkdwn('Reason: &lt;script&gt;alert(1)&lt;/script&gt; &lt;!channel&gt; "quoted" &amp;amp;');

    expect(html).toBe('Reason: &lt;script&gt;alert(1)&lt;/script&gt; &lt;!channel&gt; &quot;quoted&quot; &amp;amp;');
  });

  it('formats bold, italics, strikes, code, quotes and emoji codes', () => {
    expect(mrkdwn('*Approved* by _two_ ~people~ at `confirm-promotion` :white_check_mark:\n&gt; quoted')).toBe(
      '<b>Approved</b> by <i>two</i> <s>people</s> at <code>confirm-promotion</code> ✅<br><blockquote>quoted</blockquote>',
    );
  });

  it('keeps a code span whole between a stray < and > (found by the property below)', () => {
    expect(mrkdwn('<`<`>')).toBe('&lt;<code>&lt;</code>&gt;');
  });

  it('links only http and https: a javascript: link is shown as text', () => {
    const html = mrkdwn('<javascript:alert(1)|click me>');

    expect(html).not.toContain('<a');
    expect(html).toBe('&lt;javascript:alert(1)|click me&gt;');
  });

  it('never lets any text write markup of its own (property)', () => {
    const pieces = fc.constantFrom(
      '<',
      '>',
      '&',
      '"',
      "'",
      '*',
      '_',
      '`',
      '~',
      '\uE000',
      '0',
      'a',
      ' ',
      '\n',
      '|',
      '@',
      '!',
      'script',
      'img src=x onerror=alert(1)',
      'javascript:',
      'http://x',
      '&lt;',
      '&gt;',
      '&amp;',
    );
    fc.assert(
      fc.property(fc.array(pieces, { maxLength: 40 }), (parts) => {
        const html = stripOurs(mrkdwn(parts.join('')));
        expect(html).not.toMatch(/[<>]/);
        expect(html).not.toMatch(/\uE000/);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('Function: block, message and modal', () => {
  it('renders an approval request with its buttons, their values kept as attributes', () => {
    const request = approvalRequest(aPolicy(), aRun({ deployedBy: '<!channel> &lt;b&gt;' }), aGate(), 1);

    const html = (request.blocks ?? []).map((b) => block(b as never)).join('');

    expect(stripOurs(html)).not.toMatch(/[<>]/);
    expect(html).toMatch(
      /<button class="block-button primary" data-action-id="release_approve" data-value="\{&quot;s&quot;:/,
    );
  });

  it('escapes attribute values: a button value cannot close its attribute', () => {
    const html = block({
      type: 'actions',
      elements: [
        {
          type: 'button',
          action_id: 'x"><img src=x onerror=alert(1)>',
          value: '"><b>',
          text: { type: 'plain_text', text: '<i>Go</i>' },
        },
      ],
    });

    expect(stripOurs(html)).not.toMatch(/[<>]/);
    expect(html).toContain('&lt;i&gt;Go&lt;/i&gt;');
  });

  it('keeps a button’s confirm question, so the page asks before it clicks', () => {
    const html = block({
      type: 'actions',
      elements: [
        {
          type: 'button',
          action_id: 'release_rollback',
          value: '{}',
          text: { type: 'plain_text', text: 'Yes, roll back' },
          confirm: {
            title: { type: 'plain_text', text: 'Roll back?' },
            text: { type: 'plain_text', text: 'All traffic goes back to the primary.' },
          },
        },
      ],
    });

    expect(html).toContain('data-confirm="Roll back?\nAll traffic goes back to the primary."');
  });

  it('shows a block type it does not know as its JSON, not dropping it', () => {
    const html = block({ type: 'rich_text', elements: [{ type: 'rich_text_section', text: '<b>x</b>' } as never] });

    expect(html).toContain('class="unknown"');
    expect(html).toContain('rich_text_section');
    expect(html).toContain('&lt;b&gt;x&lt;/b&gt;');
  });

  it('shows images only from the console itself', () => {
    const html = block({ type: 'image', image_url: 'https://tracker.example/p.png', alt_text: 'chart' });

    expect(html).not.toContain('<img');
    expect(html).toContain('[image: chart]');
  });

  it('marks an ephemeral message with who alone sees it, and an edited one', () => {
    const html = message(
      { ts: '1796300000.000001', text: 'hi', onlyFor: 'U0ALICE1', edits: 2 },
      (id) => `/console/files/${id}`,
    );

    expect(html).toContain('Only visible to @U0ALICE1');
    expect(html).toContain('(edited)');
    expect(html).toContain('<time>');
  });

  it('puts the bot’s errors under the input they are about', () => {
    const html = modal({
      id: 'V1',
      view: {
        title: { type: 'plain_text', text: 'Reject release' },
        submit: { type: 'plain_text', text: 'Reject' },
        blocks: [
          {
            type: 'input',
            block_id: 'reason',
            label: { type: 'plain_text', text: 'Reason' },
            element: { type: 'plain_text_input', action_id: 'value', multiline: true },
          },
        ],
      },
      errors: { reason: ':no_entry_sign: You cannot reject this <@U0ALICE1>' },
    });

    expect(html).toContain(
      '<textarea name="reason" rows="4"></textarea><div class="error">🚫 You cannot reject this <span class="mention">@U0ALICE1</span></div>',
    );
    expect(html).toContain('<button type="submit" class="primary">Reject</button>');
  });
});
