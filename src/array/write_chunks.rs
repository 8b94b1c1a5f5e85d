//! The HDF5 chunk shape `to_netcdf` stores a variable with, chosen so every task block is a whole
//! number of HDF5 chunks: then each store task owns its chunks outright and can compress and write
//! them itself (direct chunk writes), with no read-modify-write of chunks shared by two tasks.

/// Largest HDF5 chunk we derive ourselves: readers of one time step decompress at most this much.
pub const TARGET_CHUNK_BYTES: usize = 4 << 20;

/// Smallest chunk accepted when the blocks are irregular (their common divisor is small).
pub const MIN_IRREGULAR_CHUNK_BYTES: usize = 256 << 10;

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// The largest divisor of `n` that is at most `max` (at least 1).
fn divisor_at_most(n: usize, max: usize) -> usize {
    (1..=n.min(max).max(1))
        .rev()
        .find(|d| n.is_multiple_of(*d))
        .unwrap_or(1)
}

/// The chunk shape for a variable written in blocks of sizes `blocks[d]` along each dimension
/// (`ChunkGrid::chunks`), elements of `elem` bytes:
/// - the source file's `source` chunk shape when every block boundary is a multiple of it (xarray
///   keeps the source encoding's `chunksizes` in that case too);
/// - otherwise the largest block, shrunk along leading dimensions to divisors of the blocks until a
///   chunk is at most [`TARGET_CHUNK_BYTES`].
///
/// `None` when block boundaries share no divisor giving chunks of a useful size (irregular blocks
/// such as 365, 366, 365 days of a small grid): such variables go through the netCDF library.
pub fn aligned_chunk_shape(
    blocks: &[Vec<usize>],
    source: Option<&[usize]>,
    elem: usize,
) -> Option<Vec<usize>> {
    if blocks.is_empty() || blocks.iter().any(|b| b.iter().sum::<usize>() == 0) {
        return None;
    }
    // Every block but the last starts at a multiple of `step[d]` (None: a single block).
    let step: Vec<Option<usize>> = blocks
        .iter()
        .map(|b| (b.len() > 1).then(|| b[..b.len() - 1].iter().fold(0, |g, &x| gcd(g, x))))
        .collect();
    let len: Vec<usize> = blocks.iter().map(|b| b.iter().sum()).collect();
    if let Some(src) = source.filter(|s| s.len() == blocks.len()) {
        let c: Vec<usize> = src.iter().zip(&len).map(|(&c, &n)| c.clamp(1, n)).collect();
        if c.iter()
            .zip(&step)
            .all(|(&c, s)| s.is_none_or(|s| s.is_multiple_of(c)))
        {
            return Some(c);
        }
    }
    let mut c = Vec::with_capacity(blocks.len());
    let mut irregular = false;
    for (b, s) in blocks.iter().zip(&step) {
        let largest = b.iter().copied().max().unwrap_or(1);
        irregular |= s.is_some_and(|s| 2 * s < largest);
        c.push(s.unwrap_or(largest));
    }
    // Boundaries with a small common divisor (blocks of 500, 230, 500, … days): fine while a chunk
    // stays a sizeable read, not when it would be a sliver (one day of a small grid).
    if irregular && c.iter().product::<usize>() * elem < MIN_IRREGULAR_CHUNK_BYTES {
        return None;
    }
    for d in 0..c.len() {
        let rest: usize = c
            .iter()
            .enumerate()
            .filter(|&(k, _)| k != d)
            .map(|(_, &x)| x)
            .product();
        let max = TARGET_CHUNK_BYTES / (rest * elem).max(1);
        if c[d] <= max {
            break;
        }
        c[d] = divisor_at_most(c[d], max);
    }
    Some(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::array::grid::split;

    #[test]
    fn source_chunks_are_kept_when_blocks_are_whole_multiples() {
        let b = vec![split(4380, 730), vec![64], vec![128]];
        assert_eq!(
            aligned_chunk_shape(&b, Some(&[365, 64, 128]), 4),
            Some(vec![365, 64, 128])
        );
        // 730-day blocks are not multiples of 400: derive from the blocks instead (≤ 4 MiB).
        let c = aligned_chunk_shape(&b, Some(&[400, 64, 128]), 4).unwrap();
        assert_eq!(c, vec![73, 64, 128]);
        assert_eq!(730 % c[0], 0);
        // A source chunk larger than the dimension is clamped to it.
        let one = vec![vec![10], vec![6], vec![8]];
        assert_eq!(
            aligned_chunk_shape(&one, Some(&[365, 6, 8]), 4),
            Some(vec![10, 6, 8])
        );
    }

    #[test]
    fn derived_chunks_divide_every_block_and_stay_moderate() {
        // The last block (95) may be short: it is padded to a full chunk when written.
        let b = vec![split(1095, 200), vec![6], vec![8]];
        assert_eq!(aligned_chunk_shape(&b, None, 4), Some(vec![200, 6, 8]));
        let big = vec![split(4380, 730), vec![180], vec![360]];
        let c = aligned_chunk_shape(&big, None, 4).unwrap();
        assert_eq!((730 % c[0], c[1], c[2]), (0, 180, 360));
        assert!(c.iter().product::<usize>() * 4 <= TARGET_CHUNK_BYTES);
        // Irregular blocks (whole years, leap or not) share no useful divisor.
        let years = vec![vec![365, 366, 365, 365], vec![6]];
        assert_eq!(aligned_chunk_shape(&years, None, 4), None);
        // Unless one step of the grid is already a sizeable chunk.
        let years = vec![vec![365, 366, 365, 365], vec![720], vec![1440]];
        assert_eq!(
            aligned_chunk_shape(&years, None, 4),
            Some(vec![1, 720, 1440])
        );
        // Per-file blocks of 500, 230, 500, 230 … days on a 64 × 128 grid: 10-day chunks (320 KiB).
        let b = vec![vec![500, 230, 500, 230, 500, 230], vec![64], vec![128]];
        assert_eq!(aligned_chunk_shape(&b, None, 4), Some(vec![10, 64, 128]));
        assert_eq!(aligned_chunk_shape(&[vec![0]], None, 4), None);
    }
}
