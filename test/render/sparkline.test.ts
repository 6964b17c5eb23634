import { downsample, sharedScale, sparkline } from '../../shared/render/sparkline';

describe('Function: sparkline', () => {
  it('draws one bar per point from the lowest to the highest block', () => {
    // Arrange
    const values = [0, 1, 2, 3, 4, 5, 6, 7];

    // Act
    const line = sparkline(values);

    // Assess
    expect(line).toBe('▁▂▃▄▅▆▇█');
  });

  it('scales to the series itself: only the shape counts, not the magnitude', () => {
    // Arrange
    const values = [99.1, 99.5, 99.9];

    // Act
    const line = sparkline(values);

    // Assess
    expect(line).toBe('▁▅█');
  });

  it('draws a gap as a middle dot by default, and as the given character when asked', () => {
    // Arrange
    const values = [1, null, 3, Number.NaN, 2];

    // Act
    const dotted = sparkline(values);
    const spaced = sparkline(values, { gap: ' ' });

    // Assess
    expect(dotted).toBe('▁·█·▅');
    expect(spaced).toBe('▁ █ ▅');
  });

  it('draws an all-gap series as gaps of the same length', () => {
    // Arrange
    const values = [null, null, null];

    // Act
    const line = sparkline(values);

    // Assess
    expect(line).toBe('···');
  });

  it('draws a constant series and a single point at half height', () => {
    // Arrange
    const constant = [42, 42, 42, 42];
    const single = [7];

    // Act
    const flat = sparkline(constant);
    const point = sparkline(single);

    // Assess
    expect(flat).toBe('▄▄▄▄');
    expect(point).toBe('▄');
  });

  it('draws nothing for an empty series', () => {
    // Arrange
    const values: number[] = [];

    // Act
    const line = sparkline(values);

    // Assess
    expect(line).toBe('');
  });

  it('places points on a fixed scale, clamping those outside it', () => {
    // Arrange
    const canary = [98, 99, 100];
    const scale = { min: 98, max: 102 };

    // Act
    const line = sparkline([...canary, 90, 110], scale);

    // Assess
    expect(line).toBe('▁▃▅▁█');
  });

  it('draws canary and primary comparably on their shared scale', () => {
    // Arrange
    const canary = [10, 12, 14];
    const primary = [10, 10, 10];
    const scale = sharedScale(canary, primary);

    // Act
    const lines = [sparkline(canary, scale), sparkline(primary, scale)];

    // Assess
    expect(lines).toEqual(['▁▅█', '▁▁▁']);
  });

  it('averages a long series into at most `width` characters', () => {
    // Arrange
    const values = Array.from({ length: 40 }, (_, i) => (i < 20 ? 1 : 9));

    // Act
    const line = sparkline(values, { width: 8 });

    // Assess
    expect(line).toBe('▁▁▁▁████');
  });
});

describe('Function: sharedScale', () => {
  it('spans the smallest and largest sample of all series, ignoring gaps', () => {
    // Arrange
    const canary = [5, null, 9];
    const primary = [null, 2, 7];

    // Act
    const scale = sharedScale(canary, primary);

    // Assess
    expect(scale).toEqual({ min: 2, max: 9 });
  });

  it('is undefined when every series is all gaps', () => {
    // Arrange
    const canary = [null, null];
    const primary: (number | null)[] = [];

    // Act
    const scale = sharedScale(canary, primary);

    // Assess
    expect(scale).toBeUndefined();
  });
});

describe('Function: downsample', () => {
  it('keeps a series that already fits, and averages buckets of a longer one, keeping all-gap buckets as gaps', () => {
    // Arrange
    const short = [1, null, 3];
    const long = [1, 3, null, null, 5, null, 8, 10];

    // Act
    const kept = downsample(short, 4);
    const averaged = downsample(long, 4);

    // Assess
    expect(kept).toEqual([1, null, 3]);
    expect(averaged).toEqual([2, null, 5, 9]);
  });
});

describe('Function: sparkline (floating-point noise)', () => {
  it('draws a series that differs only by rounding noise as flat', () => {
    const values = [212.49999999999997, 212.5, 212.50000000000003, 212.5];

    const line = sparkline(values);

    expect(line).toBe('▄▄▄▄');
  });
});
