//! Synthetic identities: enterprise codes, names, and the personal data (names, ID-card
//! numbers, phones, accounts) that real sources carry and desensitisation must remove.

use rand::Rng;
use xinrong_core::Uscc;

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "林", "高", "罗",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "强", "磊", "军", "洋", "勇", "艳", "杰", "涛", "明", "超",
    "秀英", "华", "建国", "志强", "晓东",
];
const NAME_HEADS: &[&str] = &[
    "华", "创", "智", "芯", "云", "数", "科", "联", "新", "睿", "博", "恒", "启", "航", "微", "源",
    "光", "达", "远", "辰",
];
const NAME_TAILS: &[&str] = &[
    "科技",
    "信息技术",
    "智能装备",
    "生物医药",
    "新材料",
    "电子",
    "软件",
    "数据",
    "精密制造",
    "新能源",
];
const CODE_CHARS: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

/// A valid USCC for an enterprise registered in `region`.
pub fn uscc(rng: &mut impl Rng, region: &str) -> String {
    let mut first = format!("91{region}");
    for _ in 0..9 {
        first.push(CODE_CHARS[rng.random_range(0..CODE_CHARS.len())] as char);
    }
    let check = Uscc::check_char(&first).expect("17 valid characters");
    first.push(check);
    first
}

/// A USCC whose check character is wrong (a quality fault to inject).
pub fn broken_uscc(rng: &mut impl Rng, region: &str) -> String {
    let good = uscc(rng, region);
    let last = good.as_bytes()[17];
    let wrong = CODE_CHARS
        .iter()
        .find(|&&c| c != last)
        .copied()
        .unwrap_or(b'0');
    format!("{}{}", &good[..17], wrong as char)
}

/// An enterprise name such as 福州华创智能装备有限公司.
pub fn company_name(rng: &mut impl Rng, city: &str) -> String {
    let head: String = (0..2)
        .map(|_| NAME_HEADS[rng.random_range(0..NAME_HEADS.len())])
        .collect();
    format!(
        "{city}{head}{}有限公司",
        NAME_TAILS[rng.random_range(0..NAME_TAILS.len())]
    )
}

/// A person's name.
pub fn person_name(rng: &mut impl Rng) -> String {
    format!(
        "{}{}",
        SURNAMES[rng.random_range(0..SURNAMES.len())],
        GIVEN[rng.random_range(0..GIVEN.len())]
    )
}

/// An 18-character resident ID number (GB 11643) with a valid check character.
pub fn id_number(rng: &mut impl Rng, region: &str) -> String {
    let year = rng.random_range(1960..2000);
    let month = rng.random_range(1..=12);
    let day = rng.random_range(1..=28);
    let body = format!(
        "{region}{year}{month:02}{day:02}{:03}",
        rng.random_range(0..1000)
    );
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body
        .bytes()
        .zip(WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    let check = b"10X98765432"[(sum % 11) as usize] as char;
    format!("{body}{check}")
}

/// A mobile phone number.
pub fn phone(rng: &mut impl Rng) -> String {
    format!(
        "1{}{:09}",
        rng.random_range(3..=9),
        rng.random_range(0..1_000_000_000u64)
    )
}

/// A bank account number.
pub fn account(rng: &mut impl Rng) -> String {
    format!("6222{:015}", rng.random_range(0..1_000_000_000_000_000u64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn generated_codes_are_valid_and_broken_ones_are_not() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        for _ in 0..200 {
            assert!(uscc(&mut rng, "350100").parse::<Uscc>().is_ok());
            assert!(broken_uscc(&mut rng, "350100").parse::<Uscc>().is_err());
            assert_eq!(id_number(&mut rng, "350102").len(), 18);
        }
    }
}
