/**
 * The hub's credit record categories (信用记录类别), coded by the initials of their pinyin names so
 * that providers can type them. The data authority owns this table; a new national list is a new row.
 */
export const creditRecordCategories: Readonly<Record<string, string>> = {
  SXBZXR: '失信被执行人',
  ZDSSWFSXZT: '重大税收违法失信主体',
  AJNSR: '纳税信用A级纳税人',
  YZWFSXZT: '市场监督管理严重违法失信名单',
  JYYCML: '经营异常名录',
  ZFCGYZWFSX: '政府采购严重违法失信行为记录名单',
  AQSCYZSXZT: '安全生产严重失信主体名单',
  HGGJRZQY: '海关高级认证企业',
  HGSXQY: '海关失信企业',
  SXLHJLDX: '守信联合激励对象',
  SXLHCJDX: '其他失信联合惩戒对象',
  ZDGZMD: '重点关注名单',
  QT: '其他',
};
