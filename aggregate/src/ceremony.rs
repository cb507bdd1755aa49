//! Binding the aggregation SRS to the package's SRS. The accumulator folds the app proofs' KZG
//! openings into one pairing against the aggregation SRS's `[s]₂`, so both must share the secret;
//! and the aggregation verifying key is re-derived under the aggregation SRS's points, so those
//! points must be the powers of that secret too: with points of its own choosing (discrete logs it
//! knows) a forged `srs.bin` that keeps the generator and `[s]₂` would make the re-derived key
//! commit to any circuit the forger likes.

use std::path::Path;

use halo2_proofs::arithmetic::best_multiexp;
use halo2_proofs::poly::commitment::{Blind, Params, ParamsProver};
use halo2_proofs::poly::EvaluationDomain;
use halo2curves::bn256::{Bn256, Fr, G1Affine};
use halo2curves::ff::{BatchInvert, Field};
use halo2curves::group::Curve;
use halo2curves::pairing::Engine;
use loopx_srs::Srs;
use rand::rngs::StdRng;
use rand::SeedableRng;

use crate::error::{AggregateError, Result};

/// Refuses an aggregation SRS from another ceremony than the app SRS (another generator, `[1]₂`
/// or `[s]₂`). Cheap; [`check_powers`] is what binds the rest of its points.
pub fn check_same_ceremony(app: &Srs, aggregation: &Srs) -> Result<()> {
    let (a, b) = (app.params(), aggregation.params());
    if a.get_g()[0] != b.get_g()[0] || a.g2() != b.g2() || a.s_g2() != b.s_g2() {
        return Err(AggregateError::SrsMismatch(
            "it is not from the same powers-of-tau ceremony as the package's SRS (its [s]₂ differs); \
             use the same ceremony file at the aggregation k"
                .into(),
        ));
    }
    Ok(())
}

/// Refuses an SRS whose points are not `[sⁱ]₁` for the `s` of its own `[s]₂` (monomial form), or
/// whose Lagrange-form points are not the same powers in the Lagrange basis of its domain. With
/// [`check_same_ceremony`] this pins every point to the package's ceremony.
///
/// Both checks weigh the points with the powers `ρⁱ` of one random `ρ` (a Schwartz–Zippel
/// argument: a wrong point passes with probability below 2^k / r):
/// `e(Σ ρⁱ·g_{i+1}, [1]₂) = e(Σ ρⁱ·g_i, [s]₂)` makes each `g_{i+1} = s·g_i`, and the polynomial
/// `c(X) = Σ ρⁱ Xⁱ` must commit to the same point in both bases; its values on the domain are
/// `c(ωʲ) = (1 − ρⁿ) / (1 − ρ·ωʲ)`, so no FFT is needed. Three multi-exponentiations of 2^k
/// points and two pairings: seconds, against the hours that checking each point would take.
pub fn check_powers(srs: &Srs, path: &Path) -> Result<()> {
    let params = srs.params();
    let g = params.get_g();
    let n = g.len();
    let refuse = |what: &str| {
        AggregateError::SrsMismatch(format!(
            "{}: {what}; it is not a powers-of-tau SRS of the package's ceremony (altered?) — delete \
             its directory and rerun `loopx aggregate` with the ceremony file (--srs FILE)",
            path.display()
        ))
    };
    if n < 2 {
        return Err(refuse("it has fewer than two points"));
    }
    let mut rng = StdRng::from_entropy();
    // ρⁿ ≠ 1 keeps every 1 − ρ·ωʲ invertible ((ρ·ωʲ)ⁿ = ρⁿ).
    let (rho, rho_n) = loop {
        let rho = Fr::random(&mut rng);
        let rho_n = rho.pow_vartime([n as u64]);
        if rho_n != Fr::ONE {
            break (rho, rho_n);
        }
    };
    let mut powers = Vec::with_capacity(n);
    let mut power = Fr::ONE;
    for _ in 0..n {
        powers.push(power);
        power *= rho;
    }

    let lower = best_multiexp(&powers[..n - 1], &g[..n - 1]);
    let upper = best_multiexp(&powers[..n - 1], &g[1..]);
    if Bn256::pairing(&upper.to_affine(), &params.g2()) != Bn256::pairing(&lower.to_affine(), &params.s_g2())
    {
        return Err(refuse("its G1 points are not successive powers of its [s]₂"));
    }

    let in_monomial = (lower + g[n - 1] * powers[n - 1]).to_affine();
    let domain = EvaluationDomain::<Fr>::new(1, params.k());
    let omega = domain.get_omega();
    let mut values = Vec::with_capacity(n);
    let mut omega_j = Fr::ONE;
    for _ in 0..n {
        values.push(Fr::ONE - rho * omega_j);
        omega_j *= omega;
    }
    values.iter_mut().batch_invert();
    let scale = Fr::ONE - rho_n;
    values.iter_mut().for_each(|v| *v *= scale);
    let in_lagrange: G1Affine =
        params.commit_lagrange(&domain.lagrange_from_vec(values), Blind::default()).to_affine();
    if in_lagrange != in_monomial {
        return Err(refuse("its Lagrange-form points are not its powers in the Lagrange basis"));
    }
    Ok(())
}
