/**
 * One fixed, realistic record per dataset schema (version 1). test/schemas/golden/<dataset>.v1.hex
 * holds exactly the Avro binary of these records: changing a value here, or a schema's fields, breaks
 * the golden test on purpose. Identifiers carry correct check characters (see check-digits.ts).
 *
 * Dates are Avro `date` (days since 1970-01-01) and timestamps `timestamp-millis`, as raw numbers:
 * the hub parses schemas without avsc logical-type classes, so these are the values on the wire.
 */

/** Days since 1970-01-01 for a calendar date (the Avro `date` logical type). */
export function day(isoDate: string): number {
  const ms = Date.parse(`${isoDate}T00:00:00Z`);
  if (Number.isNaN(ms)) throw new Error(`bad date ${isoDate}`);
  return ms / 86_400_000;
}

/** Milliseconds since the epoch (the Avro `timestamp-millis` logical type). */
export function ts(iso: string): number {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`bad timestamp ${iso}`);
  return ms;
}

/** 张伟: male, born 1990-03-15, household registered in 蜀山区 (340104). GB 11643 check digit 3. */
export const zhangWeiId = '340104199003157733';
/** 李娜: female, born 1985-11-02, 包河区 (340111). GB 11643 check digit 3. */
export const liNaId = '340111198511024223';
/** 合肥市皖江数字科技有限公司 (91 = 工商 enterprise). GB 11714 check 5, GB 32100 check P. */
export const wanjiangUscc = '91340100MA2N1B7K5P';
/** 合肥蜀山区鑫源建材有限公司. */
export const xinyuanUscc = '91340104MA8P2LWQ9T';
/** 合肥市市场监督管理局 (11 = 机关). */
export const hefeiSamrUscc = '11340100002983637P';
/** 合肥市蜀山区市场监督管理局. */
export const shushanSamrUscc = '11340104MB1C039254';
/** 合肥市蜀山区人民法院. */
export const shushanCourtUscc = '11340104003127584P';

export type SampleRecord = Readonly<Record<string, unknown>>;

export const samplesV1: Readonly<Record<string, SampleRecord>> = {
  'base.natural_person': {
    id_number: zhangWeiId,
    name: '张伟',
    gender: 'MALE',
    ethnicity_code: '01',
    birth_date: day('1990-03-15'),
    household_region_code: '340104',
    household_address: '安徽省合肥市蜀山区长江西路189号3栋502室',
    residence_address: '安徽省合肥市包河区徽州大道1688号',
    phone: '13905512345',
    marital_status: 'MARRIED',
    education_code: '21',
    registration_status: 'NORMAL',
    death_date: null,
    updated_at: ts('2024-05-10T09:30:00+08:00'),
  },
  'base.legal_entity': {
    uscc: wanjiangUscc,
    name: '合肥市皖江数字科技有限公司',
    entity_category: 'ENTERPRISE',
    enterprise_type_code: '1130',
    legal_representative: '李娜',
    legal_representative_id_number: liNaId,
    registered_capital_fen: 500_000_000,
    capital_currency: 'CNY',
    establishment_date: day('2016-08-23'),
    operating_period_end: null,
    region_code: '340104',
    address: '安徽省合肥市蜀山区望江西路800号创新产业园二期A4栋1201室',
    business_scope: '软件开发；信息系统集成服务；数据处理和存储支持服务（依法须经批准的项目，经相关部门批准后方可开展经营活动）',
    registration_authority: '合肥市市场监督管理局',
    status: 'ACTIVE',
    phone: '0551-65321234',
    updated_at: ts('2024-03-01T14:05:12+08:00'),
  },
  'base.land_parcel': {
    unit_code: '340104003002GB00123F00030502',
    region_code: '340104',
    location: '蜀山区长江西路189号3栋502室',
    land_use_code: '0701',
    parcel_area_m2: 12456.78,
    building_area_m2: 118.56,
    right_type: 'STATE_LAND_AND_BUILDING',
    holder_type: 'NATURAL_PERSON',
    holder_id: zhangWeiId,
    holder_name: '张伟',
    certificate_no: '皖（2019）合肥市不动产权第0123456号',
    registration_date: day('2019-06-12'),
    land_use_term_end: day('2084-03-31'),
    longitude: 117.2272,
    latitude: 31.8206,
    boundary_wkt: 'POLYGON((117.2265 31.8201,117.2279 31.8201,117.2279 31.8211,117.2265 31.8211,117.2265 31.8201))',
    updated_at: ts('2023-11-20T16:42:00+08:00'),
  },
  'base.e_license': {
    license_id: `1.2.156.3005.2.11100000000013338W009.${shushanSamrUscc}.JY13401040123456.001.K`,
    license_type_code: '11100000000013338W009',
    license_name: '食品经营许可证',
    license_number: 'JY13401040123456',
    holder_type: 'LEGAL_ENTITY',
    holder_id: wanjiangUscc,
    holder_name: '合肥市皖江数字科技有限公司',
    issuing_authority: '合肥市蜀山区市场监督管理局',
    issuing_authority_code: shushanSamrUscc,
    issue_date: day('2021-04-08'),
    valid_from: day('2021-04-08'),
    valid_until: day('2026-04-07'),
    status: 'VALID',
    updated_at: ts('2021-04-08T10:15:30+08:00'),
  },
  'base.credit_record': {
    record_id: 'HFXY-SX-2023-000417',
    subject_type: 'LEGAL_ENTITY',
    subject_code: xinyuanUscc,
    subject_name: '合肥蜀山区鑫源建材有限公司',
    list_type: 'BLACK',
    record_category_code: 'SXBZXR',
    decision_document_no: '（2023）皖0104执1234号',
    decision_authority: '合肥市蜀山区人民法院',
    decision_authority_code: shushanCourtUscc,
    decision_reason: '有履行能力而拒不履行生效法律文书确定的给付义务',
    decided_date: day('2023-09-18'),
    valid_until: day('2026-09-17'),
    status: 'EFFECTIVE',
    updated_at: ts('2023-09-19T08:00:00+08:00'),
  },
  'theme.social_insurance_enrolment': {
    id_number: liNaId,
    name: '李娜',
    insurance_type: 'PENSION_EMPLOYEE',
    insured_region_code: '340100',
    employer_uscc: wanjiangUscc,
    employer_name: '合肥市皖江数字科技有限公司',
    enrolment_status: 'ACTIVE',
    first_enrolled_date: day('2008-07-01'),
    last_paid_period: day('2024-04-01'),
    contribution_base_fen: 1_256_800,
    cumulative_paid_months: 190,
    handling_agency: '合肥市社会保险经办中心',
    updated_at: ts('2024-04-28T17:20:45+08:00'),
  },
  'theme.market_inspection': {
    inspection_id: 'SJ3401002024000158',
    subject_uscc: wanjiangUscc,
    subject_name: '合肥市皖江数字科技有限公司',
    inspection_type: 'RANDOM',
    plan_no: '340100202403001',
    inspection_item: '企业公示信息情况检查',
    inspection_authority: '合肥市市场监督管理局',
    inspection_authority_code: hefeiSamrUscc,
    inspection_date: day('2024-04-16'),
    result: 'NO_PROBLEM',
    problem_description: null,
    penalty_amount_fen: null,
    publicized: true,
    updated_at: ts('2024-04-22T11:03:00+08:00'),
  },
  'theme.tax_credit_rating': {
    taxpayer_id: wanjiangUscc,
    taxpayer_name: '合肥市皖江数字科技有限公司',
    rating_year: 2023,
    credit_level: 'A',
    score: 95,
    downgrade_reason: null,
    evaluation_authority: '国家税务总局合肥市税务局',
    authority_region_code: '340100',
    published_date: day('2024-04-12'),
    updated_at: ts('2024-04-12T09:00:00+08:00'),
  },
};
