//! The two classifications market aggregates are cut by: an enterprise's industry
//! (GB/T 4754-2017, 国民经济行业分类) and its region (GB/T 2260, 行政区划代码, whose first two
//! digits name the province and which a Unified Social Credit Code carries in positions 3–8).
//! Names are given in English and Chinese, as a regulator's report shows them.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A GB/T 4754 industry class: a section letter (A–T) and up to four digits (`I6513`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Industry(String);

/// Why a string is not a GB/T 4754 industry class.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a GB/T 4754 class (a section letter A..T and one to four digits)")]
pub struct IndustryError(pub String);

impl FromStr for Industry {
    type Err = IndustryError;

    fn from_str(s: &str) -> Result<Industry, IndustryError> {
        let b = s.as_bytes();
        let ok = (2..=5).contains(&b.len())
            && (b'A'..=b'T').contains(&b[0])
            && b[1..].iter().all(u8::is_ascii_digit);
        if ok {
            Ok(Industry(s.to_string()))
        } else {
            Err(IndustryError(s.to_string()))
        }
    }
}

impl TryFrom<String> for Industry {
    type Error = IndustryError;
    fn try_from(s: String) -> Result<Industry, IndustryError> {
        s.parse()
    }
}

impl From<Industry> for String {
    fn from(i: Industry) -> String {
        i.0
    }
}

impl fmt::Display for Industry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Industry {
    /// The code as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The section letter (门类): `C` for manufacturing.
    pub fn section(&self) -> char {
        char::from(self.0.as_bytes()[0])
    }
}

/// The twenty sections of GB/T 4754-2017: letter, English, Chinese.
pub const SECTIONS: [(char, &str, &str); 20] = [
    ('A', "Agriculture, forestry and fishing", "农、林、牧、渔业"),
    ('B', "Mining", "采矿业"),
    ('C', "Manufacturing", "制造业"),
    (
        'D',
        "Electricity, heat, gas and water",
        "电力、热力、燃气及水生产和供应业",
    ),
    ('E', "Construction", "建筑业"),
    ('F', "Wholesale and retail", "批发和零售业"),
    ('G', "Transport, storage and post", "交通运输、仓储和邮政业"),
    ('H', "Accommodation and catering", "住宿和餐饮业"),
    (
        'I',
        "Information transmission, software and IT services",
        "信息传输、软件和信息技术服务业",
    ),
    ('J', "Finance", "金融业"),
    ('K', "Real estate", "房地产业"),
    ('L', "Leasing and business services", "租赁和商务服务业"),
    (
        'M',
        "Scientific research and technical services",
        "科学研究和技术服务业",
    ),
    (
        'N',
        "Water, environment and public facilities",
        "水利、环境和公共设施管理业",
    ),
    (
        'O',
        "Resident services and repair",
        "居民服务、修理和其他服务业",
    ),
    ('P', "Education", "教育"),
    ('Q', "Health and social work", "卫生和社会工作"),
    (
        'R',
        "Culture, sports and entertainment",
        "文化、体育和娱乐业",
    ),
    (
        'S',
        "Public administration and social organisations",
        "公共管理、社会保障和社会组织",
    ),
    ('T', "International organisations", "国际组织"),
];

/// English and Chinese names of an industry section, if `letter` is one.
pub fn section_name(letter: char) -> Option<(&'static str, &'static str)> {
    SECTIONS
        .iter()
        .find(|(l, _, _)| *l == letter)
        .map(|(_, en, zh)| (*en, *zh))
}

/// The province-level divisions of GB/T 2260: two-digit code, English, Chinese.
pub const PROVINCES: [(&str, &str, &str); 34] = [
    ("11", "Beijing", "北京市"),
    ("12", "Tianjin", "天津市"),
    ("13", "Hebei", "河北省"),
    ("14", "Shanxi", "山西省"),
    ("15", "Inner Mongolia", "内蒙古自治区"),
    ("21", "Liaoning", "辽宁省"),
    ("22", "Jilin", "吉林省"),
    ("23", "Heilongjiang", "黑龙江省"),
    ("31", "Shanghai", "上海市"),
    ("32", "Jiangsu", "江苏省"),
    ("33", "Zhejiang", "浙江省"),
    ("34", "Anhui", "安徽省"),
    ("35", "Fujian", "福建省"),
    ("36", "Jiangxi", "江西省"),
    ("37", "Shandong", "山东省"),
    ("41", "Henan", "河南省"),
    ("42", "Hubei", "湖北省"),
    ("43", "Hunan", "湖南省"),
    ("44", "Guangdong", "广东省"),
    ("45", "Guangxi", "广西壮族自治区"),
    ("46", "Hainan", "海南省"),
    ("50", "Chongqing", "重庆市"),
    ("51", "Sichuan", "四川省"),
    ("52", "Guizhou", "贵州省"),
    ("53", "Yunnan", "云南省"),
    ("54", "Tibet", "西藏自治区"),
    ("61", "Shaanxi", "陕西省"),
    ("62", "Gansu", "甘肃省"),
    ("63", "Qinghai", "青海省"),
    ("64", "Ningxia", "宁夏回族自治区"),
    ("65", "Xinjiang", "新疆维吾尔自治区"),
    ("71", "Taiwan", "台湾省"),
    ("81", "Hong Kong", "香港特别行政区"),
    ("82", "Macao", "澳门特别行政区"),
];

/// English and Chinese names of a province from its two-digit GB/T 2260 code, if it is one.
pub fn province_name(code: &str) -> Option<(&'static str, &'static str)> {
    PROVINCES
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, en, zh)| (*en, *zh))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn industry_classes_are_a_section_and_digits() {
        let i: Industry = "I6513".parse().unwrap();
        assert_eq!(i.section(), 'I');
        assert_eq!(
            section_name(i.section()).unwrap().1,
            "信息传输、软件和信息技术服务业"
        );
        for bad in ["", "I", "U6513", "i6513", "I65130", "I65a", "６513"] {
            assert!(bad.parse::<Industry>().is_err(), "{bad:?} was taken");
        }
        let e = "X1".parse::<Industry>().unwrap_err().to_string();
        assert!(e.contains("\"X1\"") && e.contains("GB/T 4754"), "{e}");
        assert!(serde_json::from_str::<Industry>("\"Z9\"").is_err());
    }

    #[test]
    fn provinces_are_named_by_their_two_digits() {
        assert_eq!(province_name("35"), Some(("Fujian", "福建省")));
        assert_eq!(province_name("99"), None);
        let mut codes: Vec<&str> = PROVINCES.iter().map(|p| p.0).collect();
        codes.dedup();
        assert_eq!(codes.len(), PROVINCES.len());
        assert!(codes.windows(2).all(|w| w[0] < w[1]));
    }
}
