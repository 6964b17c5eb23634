import fc from 'fast-check';
import { parseDuration } from '../../shared/domain/duration';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

describe('Function: parseDuration', () => {
  it.each([
    { text: '90s', ms: 90 * S },
    { text: '30m', ms: 30 * M },
    { text: '2h', ms: 2 * H },
    { text: '1h30m', ms: 90 * M },
    { text: '1h30m15s', ms: H + 30 * M + 15 * S },
    { text: '250ms', ms: 250 },
    { text: '1m5s', ms: 65 * S },
    { text: '1d', ms: D },
    { text: '  45m  ', ms: 45 * M },
    { text: '0s', ms: 0 },
  ])('reads "$text" as $ms ms', ({ text, ms }) => {
    // Arrange
    const input = text;

    // Act
    const result = parseDuration(input);

    // Assert
    expect(result).toBe(ms);
  });

  it.each(['', '   ', '30', 'm', '1.5h', '-1h', '1H', '1h 30m', '30 m', '1m30', 'h1', '10mss', 'thirty minutes', '1w'])(
    'refuses "%s"',
    (text) => {
      // Arrange
      const input = text;

      // Act
      const result = parseDuration(input);

      // Assert
      expect(result).toBeUndefined();
    },
  );

  it('reads any combination of hours, minutes and seconds (property)', () => {
    fc.assert(
      fc.property(
        fc.option(fc.nat({ max: 999 }), { nil: undefined }),
        fc.option(fc.nat({ max: 999 }), { nil: undefined }),
        fc.option(fc.nat({ max: 999 }), { nil: undefined }),
        (h, m, s) => {
          fc.pre(h !== undefined || m !== undefined || s !== undefined);
          const text = `${h === undefined ? '' : `${h}h`}${m === undefined ? '' : `${m}m`}${s === undefined ? '' : `${s}s`}`;
          return parseDuration(text) === (h ?? 0) * H + (m ?? 0) * M + (s ?? 0) * S;
        },
      ),
    );
  });

  it('refuses a valid duration with anything glued to it (property)', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 999 }),
        fc.constantFrom('h', 'm', 's'),
        fc.constantFrom('x', '.', '-', ' 1', 'min', 'hours'),
        (n, unit, junk) => parseDuration(`${n}${unit}${junk}`) === undefined,
      ),
    );
  });
});
