/**
 * The few distributions the canary guard (guard.ts) needs, as pure functions: the standard normal's CDF,
 * its upper tail and its inverse, and the binomial's exact upper tail.
 *
 * Accuracy: erfc is the Chebyshev-fitted approximation of Numerical Recipes (`erfcc`), relative error below
 * 1.2e-7 everywhere, tails included, so a p-value of 1e-12 is right to seven digits; computing the upper
 * tail directly (not as 1 − Φ) keeps it from cancelling to 0 beyond z ≈ 8. The inverse is Acklam's
 * rational approximation (relative error below 1.2e-9). The binomial tail sums the pmf exactly in log
 * space, starting from ln C(n, k) via a Lanczos ln Γ (relative error ~1e-15).
 */

/** Σ coefficients[i] · x^(n−1−i): a polynomial by Horner's rule, highest power first. */
function polynomial(coefficients: readonly number[], x: number): number {
  let value = 0;
  for (const c of coefficients) value = value * x + c;
  return value;
}

const erfcFit = [
  0.17087277, -0.82215223, 1.48851587, -1.13520398, 0.27886807, -0.18628806, 0.09678418, 0.37409196, 1.00002368, -1.26551223,
];

/** Complementary error function erfc(x) = 1 − erf(x); relative error < 1.2e-7. */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const value = t * Math.exp(-z * z + polynomial(erfcFit, t));
  return x >= 0 ? value : 2 - value;
}

/** Φ(x): P(Z ≤ x) for a standard normal Z. */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x / Math.SQRT2);
}

/** 1 − Φ(x): P(Z > x), accurate far into the tail (a one-sided p-value for a z statistic). */
export function normalUpperTail(x: number): number {
  return 0.5 * erfc(x / Math.SQRT2);
}

// Acklam's coefficients: central region numerator and denominator, tail region numerator and denominator.
const centralNum = [
  -3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239,
];
const centralDen = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1, 1];
const tailNum = [
  -7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783,
];
const tailDen = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416, 1];
const tailBelow = 0.02425;

/** Φ⁻¹(p): the z with Φ(z) = p, for 0 < p < 1 (−Infinity at 0, Infinity at 1). */
export function normalQuantile(p: number): number {
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  if (p < tailBelow || p > 1 - tailBelow) {
    const q = Math.sqrt(-2 * Math.log(Math.min(p, 1 - p)));
    const z = polynomial(tailNum, q) / polynomial(tailDen, q);
    return p < tailBelow ? z : -z;
  }
  const q = p - 0.5;
  const r = q * q;
  return (polynomial(centralNum, r) * q) / polynomial(centralDen, r);
}

const lanczos = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
  -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(x) for x ≥ 1 (Lanczos, g = 7). */
function lnGamma(x: number): number {
  const y = x - 1;
  let sum = lanczos[0]!;
  for (let i = 1; i < lanczos.length; i += 1) sum += lanczos[i]! / (y + i);
  const t = y + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (y + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** ln P(X = k) for X ~ Binomial(n, p), 0 ≤ k ≤ n, 0 < p < 1. */
function lnBinomialPmf(n: number, p: number, k: number): number {
  return lnGamma(n + 1) - lnGamma(k + 1) - lnGamma(n - k + 1) + k * Math.log(p) + (n - k) * Math.log1p(-p);
}

/**
 * Σ P(X = j) from j = `from` stepping by `step` (+1 or −1) away from the mode, where every next term is
 * smaller than the last: summed relative to the first term (so it cannot underflow) until the terms no
 * longer change the sum. That takes a few standard deviations' worth of terms, even for n = 1e6.
 */
function tailFrom(n: number, p: number, from: number, step: 1 | -1): number {
  const odds = p / (1 - p);
  let term = 1;
  let sum = 1;
  for (let j = from; step > 0 ? j < n : j > 0; j += step) {
    term *= step > 0 ? ((n - j) / (j + 1)) * odds : j / (n - j + 1) / odds;
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return Math.exp(lnBinomialPmf(n, p, from) + Math.log(sum));
}

/** P(X ≥ k) for X ~ Binomial(n, p), exactly (to ~1e-12 relative); k is an integer. */
export function binomialUpperTail(n: number, p: number, k: number): number {
  if (k <= 0) return 1;
  if (k > n || p <= 0) return 0;
  if (p >= 1) return 1;
  // Above the mean the upper tail's terms shrink from k upward; at or below it the lower tail's shrink
  // from k − 1 downward, and the upper tail is then at least ~1/2, so 1 − lower loses nothing.
  if (k > n * p) return tailFrom(n, p, k, 1);
  return Math.max(0, 1 - tailFrom(n, p, k - 1, -1));
}
