//! Folding snark-verifier's single-use memory temporaries back into expressions.
//!
//! `EvmLoader` stores every intermediate scalar in its own memory word
//! (`mstore(A, mulmod(mload(B), mload(C), f_q))`) and reads it back with `mload(A)`. About
//! two thirds of those words are written once and read once; each costs an `MSTORE`, an
//! `MLOAD` and two address pushes (~12 gas) for nothing. This pass substitutes such a
//! definition into its one use, leaving the evaluation order of the rest unchanged.
//!
//! A substitution moves a pure expression (`mulmod`, `addmod`, `sub`, … of literals, `f_q` and
//! `mload`s) from its definition to its use, so it is only made when it cannot change a value:
//!
//! * the word is written by that one `mstore` and no precompile call, `keccak256` or `mstore8`
//!   touches it (those read or write memory ranges, not single words);
//! * every word the expression reads is written at most once, before the definition, and by no
//!   memory range: it holds the same value at the use as at the definition;
//! * the one `mload` comes after the definition.
//!
//! Nesting is capped so that, on the EVM stack, the top-level `f_q` stays within `DUP16` reach.
//! Anything the pass does not recognise (a non-literal address, an unknown memory builtin)
//! leaves the code unchanged.

use std::collections::HashMap;

/// Deepest call nesting an inlined expression may reach: each level keeps up to two pending
/// operands on the stack, which must leave the block's variables within 16 slots.
const MAX_NESTING: usize = 5;

/// Builtins an inlinable expression may use; `mload` only with a literal address.
const PURE: [&str; 8] = ["mulmod", "addmod", "sub", "add", "mul", "mod", "mload", "f_q"];

/// Memory builtins the pass does not model: their presence disables it.
const UNMODELLED: [&str; 5] = ["calldatacopy", "codecopy", "returndatacopy", "mcopy", "extcodecopy"];

/// Returns `body` with every safely inlinable single-use temporary folded into its use.
pub(crate) fn inline_single_use(body: &str) -> String {
    Analysis::of(body).map_or_else(|| body.to_string(), |analysis| analysis.rewrite(body))
}

/// One `mstore(A, EXPR)` statement with a literal address.
struct Store {
    start: usize,
    end: usize,
    address: u64,
    expr_start: usize,
}

struct Analysis {
    stores: Vec<Store>,
    store_count: HashMap<u64, usize>,
    /// Position of each `mload(A)`, by address.
    loads: HashMap<u64, Vec<usize>>,
    /// Byte ranges read or written by precompile calls, hashing and byte stores.
    ranges: Vec<(u64, u64)>,
    /// Byte ranges written by precompile calls and byte stores.
    written: Vec<(u64, u64)>,
}

impl Analysis {
    fn of(body: &str) -> Option<Self> {
        if UNMODELLED.iter().any(|b| body.contains(b)) {
            return None;
        }
        let mut analysis = Analysis {
            stores: Vec::new(),
            store_count: HashMap::new(),
            loads: HashMap::new(),
            ranges: Vec::new(),
            written: Vec::new(),
        };
        for (at, args) in calls(body, "mstore(") {
            let [address, _] = split_args::<2>(args.1)?;
            let address = literal(address)?;
            *analysis.store_count.entry(address).or_default() += 1;
            let comma = body[args.0..].find(',')? + args.0;
            let expr_start = comma + 1 + body[comma + 1..].len() - body[comma + 1..].trim_start().len();
            analysis.stores.push(Store { start: at, end: args.0 + args.1.len() + 1, address, expr_start });
        }
        for (at, args) in calls(body, "mload(") {
            analysis.loads.entry(literal(args.1)?).or_default().push(at);
        }
        for (_, args) in calls(body, "keccak256(") {
            let [start, len] = split_args::<2>(args.1)?;
            analysis.ranges.push((literal(start)?, literal(len)?));
        }
        for (_, args) in calls(body, "staticcall(") {
            let [_, _, input, input_len, output, output_len] = split_args::<6>(args.1)?;
            analysis.ranges.push((literal(input)?, literal(input_len)?));
            let output = (literal(output)?, literal(output_len)?);
            analysis.ranges.push(output);
            analysis.written.push(output);
        }
        for (_, args) in calls(body, "mstore8(") {
            let [address, _] = split_args::<2>(args.1)?;
            let word = literal(address)? & !31;
            analysis.ranges.push((word, 32));
            analysis.written.push((word, 32));
        }
        Some(analysis)
    }

    fn in_range(ranges: &[(u64, u64)], address: u64) -> bool {
        ranges.iter().any(|&(start, len)| address + 32 > start && address < start + len)
    }

    /// Whether `store` may be folded into its one use (its expression not yet checked).
    fn single_use(&self, store: &Store) -> bool {
        self.store_count[&store.address] == 1
            && !Self::in_range(&self.ranges, store.address)
            && matches!(self.loads.get(&store.address).map(Vec::as_slice), Some([use_at]) if *use_at > store.end)
    }

    /// Whether every word `expr` reads holds, from `position` on, the value it had there.
    fn stable_reads(&self, expr: &str, position: usize) -> bool {
        calls(expr, "mload(").all(|(_, args)| {
            let Some(address) = literal(args.1) else { return false };
            !Self::in_range(&self.written, address)
                && match self.store_count.get(&address) {
                    None => true,
                    Some(1) => self.stores.iter().any(|s| s.address == address && s.end <= position),
                    Some(_) => false,
                }
        })
    }

    fn rewrite(&self, body: &str) -> String {
        let mut out = String::with_capacity(body.len());
        let mut pending: HashMap<u64, String> = HashMap::new();
        let mut cursor = 0;
        for store in &self.stores {
            out.push_str(&substitute(&body[cursor..store.start], &mut pending));
            cursor = store.end;
            let expr = substitute(&body[store.expr_start..store.end - 1], &mut pending);
            let expr = expr.trim_end();
            let inlinable = self.single_use(store)
                && is_pure(expr)
                && nesting(expr) <= MAX_NESTING
                && self.stable_reads(&body[store.expr_start..store.end - 1], store.start);
            if inlinable {
                pending.insert(store.address, expr.to_string());
            } else {
                out.push_str(&body[store.start..store.expr_start]);
                out.push_str(expr);
                out.push(')');
            }
        }
        out.push_str(&substitute(&body[cursor..], &mut pending));
        if pending.is_empty() {
            out
        } else {
            // A definition whose use was not found where expected: keep the original code.
            body.to_string()
        }
    }
}

/// Replaces each `mload(A)` of a pending definition by its expression (each is used once).
fn substitute(text: &str, pending: &mut HashMap<u64, String>) -> String {
    if pending.is_empty() {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut cursor = 0;
    for (at, args) in calls(text, "mload(") {
        if let Some(expr) = literal(args.1).and_then(|address| pending.remove(&address)) {
            out.push_str(&text[cursor..at]);
            out.push_str(&expr);
            cursor = args.0 + args.1.len() + 1;
        }
    }
    out.push_str(&text[cursor..]);
    out
}

/// Every call of `name` (which ends in `(`) in `text`, as (start, (arguments start, arguments)),
/// skipping longer identifiers that end the same way (`xmload(` is not a call of `mload(`).
pub(super) fn calls<'t>(
    text: &'t str,
    name: &'static str,
) -> impl Iterator<Item = (usize, (usize, &'t str))> + 't {
    text.match_indices(name).filter_map(move |(at, _)| {
        let boundary = text[..at].chars().next_back().is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
        let args_start = at + name.len();
        let close = matching_paren(&text[args_start..])?;
        boundary.then_some((at, (args_start, &text[args_start..args_start + close])))
    })
}

/// Offset of the parenthesis closing an argument list that starts at `text[0]`.
fn matching_paren(text: &str) -> Option<usize> {
    let mut depth = 1usize;
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// The `N` top-level arguments of an argument list.
pub(super) fn split_args<const N: usize>(args: &str) -> Option<[&str; N]> {
    let mut parts = Vec::with_capacity(N);
    let (mut depth, mut start) = (0usize, 0);
    for (i, c) in args.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.checked_sub(1)?,
            ',' if depth == 0 => {
                parts.push(args[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(args[start..].trim());
    parts.try_into().ok()
}

/// A decimal or `0x` hexadecimal literal that fits 64 bits.
pub(super) fn literal(text: &str) -> Option<u64> {
    let text = text.trim();
    match text.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

/// Whether `expr` only uses [`PURE`] builtins, literals and literal `mload` addresses.
fn is_pure(expr: &str) -> bool {
    let words = expr.split(|c: char| !(c.is_alphanumeric() || c == '_'));
    words
        .filter(|w| !w.is_empty())
        .all(|w| PURE.contains(&w) || w.chars().next().is_some_and(|c| c.is_ascii_digit()))
        && calls(expr, "mload(").all(|(_, args)| literal(args.1).is_some())
}

/// Deepest parenthesis nesting in `expr`.
fn nesting(expr: &str) -> usize {
    let mut depth = 0usize;
    let mut deepest = 0;
    for c in expr.chars() {
        match c {
            '(' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            ')' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

#[cfg(test)]
mod tests {
    use super::inline_single_use;

    #[test]
    fn folds_a_single_use_chain() {
        let body = "mstore(0xa0, mulmod(mload(0x20), 3, f_q))\n\
                    mstore(0xc0, addmod(mload(0xa0), 1, f_q))\n\
                    mstore(0xe0, mulmod(mload(0xc0), mload(0xc0), f_q))";
        let out = inline_single_use(body);
        // 0xa0 is used once: folded. 0xc0 is used twice: kept.
        assert_eq!(
            out,
            "\nmstore(0xc0, addmod(mulmod(mload(0x20), 3, f_q), 1, f_q))\n\
             mstore(0xe0, mulmod(mload(0xc0), mload(0xc0), f_q))"
        );
    }

    #[test]
    fn keeps_words_that_memory_ranges_touch_or_that_change() {
        // Read by keccak256: not folded.
        let hashed = "mstore(0xa0, addmod(mload(0x20), 1, f_q))\nmstore(0xc0, keccak256(0xa0, 32))\nmstore(0xe0, mload(0xa0))";
        assert_eq!(inline_single_use(hashed), hashed);
        // Reads a word written again later: moving it past the second write would change it.
        let rewritten = "mstore(0xa0, addmod(mload(0x40), 1, f_q))\nmstore(0x40, 7)\nmstore(0x40, 8)\nmstore(0xe0, mload(0xa0))";
        assert_eq!(inline_single_use(rewritten), rewritten);
        // Reads a word a precompile writes.
        let called = "mstore(0xa0, addmod(mload(0x100), 1, f_q))\n\
                      if iszero(staticcall(gas(), 0x7, 0x100, 0x60, 0x100, 0x40)) { revert(0, 0) }\n\
                      mstore(0xe0, mload(0xa0))";
        assert_eq!(inline_single_use(called), called);
        // Uses a local variable: not movable.
        let local = "{ let prod := 3\nmstore(0xa0, mulmod(prod, 2, f_q)) }\nmstore(0xe0, mload(0xa0))";
        assert_eq!(inline_single_use(local), local);
        // Reads calldata (which may reject): not movable.
        let read = "mstore(0xa0, read_fr(0x64))\nmstore(0xe0, mload(0xa0))";
        assert_eq!(inline_single_use(read), read);
    }
}
