//! The few dense linear-algebra routines the regression needs, on small symmetric matrices
//! (row-major, a few hundred rows at most).

/// Cholesky factor `L` (lower, row-major) of a symmetric positive-definite matrix, or `None`
/// when it is not positive definite.
pub(crate) fn cholesky(a: &[f64], n: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let mut s = a[i * n + j];
            for k in 0..j {
                s -= l[i * n + k] * l[j * n + k];
            }
            if i == j {
                if s <= 0.0 || !s.is_finite() {
                    return None;
                }
                l[i * n + i] = s.sqrt();
            } else {
                l[i * n + j] = s / l[j * n + j];
            }
        }
    }
    Some(l)
}

/// Solves `L Lᵀ x = b`.
pub(crate) fn cholesky_solve(l: &[f64], n: usize, b: &[f64]) -> Vec<f64> {
    let mut y = b.to_vec();
    for i in 0..n {
        for k in 0..i {
            y[i] -= l[i * n + k] * y[k];
        }
        y[i] /= l[i * n + i];
    }
    for i in (0..n).rev() {
        for k in i + 1..n {
            y[i] -= l[k * n + i] * y[k];
        }
        y[i] /= l[i * n + i];
    }
    y
}

/// Factor of `a`, adding a growing ridge to the diagonal until it factors (for nearly
/// singular information matrices, e.g. two copies of one feature). A matrix no ridge makes
/// factor (a NaN or an infinity in it, from a degenerate configuration) gets the identity's
/// factor: the caller then takes a plain gradient step and its own checks end the fit, where
/// growing the ridge for ever would hang it.
pub(crate) fn robust_cholesky(a: &[f64], n: usize) -> Vec<f64> {
    if let Some(l) = cholesky(a, n) {
        return l;
    }
    let scale = (0..n)
        .map(|i| a[i * n + i].abs())
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max)
        .max(1e-300);
    let mut ridge = scale * 1e-12;
    // From 1e-12 to 1e12 times the largest diagonal entry: past that the matrix is the ridge.
    for _ in 0..=24 {
        let mut b = a.to_vec();
        for i in 0..n {
            b[i * n + i] += ridge;
        }
        if let Some(l) = cholesky(&b, n) {
            return l;
        }
        ridge *= 10.0;
    }
    let mut identity = vec![0.0; n * n];
    for i in 0..n {
        identity[i * n + i] = 1.0;
    }
    identity
}

/// Inverse of a symmetric positive-definite matrix from its factor.
pub(crate) fn inverse_from_cholesky(l: &[f64], n: usize) -> Vec<f64> {
    let mut inv = vec![0.0; n * n];
    let mut e = vec![0.0; n];
    for j in 0..n {
        e.iter_mut().for_each(|v| *v = 0.0);
        e[j] = 1.0;
        let col = cholesky_solve(l, n, &e);
        for i in 0..n {
            inv[i * n + j] = col[i];
        }
    }
    inv
}

/// `C += Aᵀ B` for row-major `A` (rows × p) and `B` (rows × q); `C` is p × q row-major.
pub(crate) fn add_at_b(a: &[f64], b: &[f64], rows: usize, p: usize, q: usize, c: &mut [f64]) {
    debug_assert!(a.len() >= rows * p && b.len() >= rows * q && c.len() >= p * q);
    if rows == 0 || p == 0 || q == 0 {
        return;
    }
    // SAFETY: the slices hold at least the element counts the strides address (checked above
    // in debug builds and guaranteed by every caller, which sizes them as rows × p etc.).
    unsafe {
        matrixmultiply::dgemm(
            p,
            rows,
            q,
            1.0,
            a.as_ptr(),
            1,
            p as isize,
            b.as_ptr(),
            q as isize,
            1,
            1.0,
            c.as_mut_ptr(),
            q as isize,
            1,
        );
    }
}

/// `C += Sᵀ S` for a column-major `S` (rows × p, column j at `s[j·rows..]`); `C` is p × p.
pub(crate) fn add_ct_c(s: &[f64], rows: usize, p: usize, c: &mut [f64]) {
    debug_assert!(s.len() >= rows * p && c.len() >= p * p);
    if rows == 0 || p == 0 {
        return;
    }
    // SAFETY: `s` holds rows × p elements addressed with row stride 1 and column stride `rows`,
    // and `c` holds p × p; both checked above in debug builds and sized so by the caller.
    unsafe {
        matrixmultiply::dgemm(
            p,
            rows,
            p,
            1.0,
            s.as_ptr(),
            rows as isize,
            1,
            s.as_ptr(),
            1,
            rows as isize,
            1.0,
            c.as_mut_ptr(),
            p as isize,
            1,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_matrix_no_ridge_can_factor_ends_in_the_identity_instead_of_hanging() {
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let a = [1.0, bad, bad, 1.0];
            assert_eq!(robust_cholesky(&a, 2), vec![1.0, 0.0, 0.0, 1.0]);
        }
        // A nearly singular matrix still factors with a small ridge.
        let l = robust_cholesky(&[1.0, 1.0, 1.0, 1.0], 2);
        assert!(l.iter().all(|v| v.is_finite()) && l[3] > 0.0 && l[3] < 1e-3);
    }

    #[test]
    fn solve_and_invert() {
        let a = [4.0, 2.0, 0.6, 2.0, 5.0, 1.0, 0.6, 1.0, 3.0];
        let l = cholesky(&a, 3).unwrap();
        let x = cholesky_solve(&l, 3, &[1.0, 2.0, 3.0]);
        for i in 0..3 {
            let r: f64 = (0..3).map(|k| a[i * 3 + k] * x[k]).sum();
            assert!((r - [1.0, 2.0, 3.0][i]).abs() < 1e-12);
        }
        let inv = inverse_from_cholesky(&l, 3);
        for i in 0..3 {
            for j in 0..3 {
                let r: f64 = (0..3).map(|k| a[i * 3 + k] * inv[k * 3 + j]).sum();
                assert!((r - if i == j { 1.0 } else { 0.0 }).abs() < 1e-12);
            }
        }
        assert!(cholesky(&[1.0, 2.0, 2.0, 1.0], 2).is_none());
        let l = robust_cholesky(&[1.0, 1.0, 1.0, 1.0], 2);
        assert!(l.iter().all(|v| v.is_finite()));
    }

    #[test]
    fn gram_of_column_major_matches_loops() {
        let (rows, p) = (5, 3);
        let s: Vec<f64> = (0..rows * p).map(|v| (v as f64).sin()).collect();
        let mut c = vec![0.0; p * p];
        add_ct_c(&s, rows, p, &mut c);
        for i in 0..p {
            for j in 0..p {
                let want: f64 = (0..rows).map(|r| s[i * rows + r] * s[j * rows + r]).sum();
                assert!((c[i * p + j] - want).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn gemm_matches_loops() {
        let a: Vec<f64> = (0..12).map(|v| v as f64).collect(); // 4 × 3
        let b: Vec<f64> = (0..8).map(|v| (v as f64) * 0.5).collect(); // 4 × 2
        let mut c = vec![0.0; 6];
        add_at_b(&a, &b, 4, 3, 2, &mut c);
        for i in 0..3 {
            for j in 0..2 {
                let want: f64 = (0..4).map(|r| a[r * 3 + i] * b[r * 2 + j]).sum();
                assert_eq!(c[i * 2 + j], want);
            }
        }
    }
}
