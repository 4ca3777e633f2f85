import { creditRecordCategories } from './credit-record-category.ts';
import { gb21010LandUse } from './gb21010-land-use.ts';
import { gb3304Ethnicity } from './gb3304-ethnicity.ts';
import { gb4658Education } from './gb4658-education.ts';
import { iso4217Currencies } from './iso4217.ts';
import { isLicenseTypeCode } from './license-type.ts';
import { samrEnterpriseTypes } from './samr-enterprise-type.ts';
import { HubError } from '../../../platform/errors.ts';

/** A code list a `code-list:<name>` rule names. */
export interface CodeList {
  readonly name: string;
  readonly title: string;
  /** Codes are written in capitals: normalization upper-cases values of fields bound to this list. */
  readonly upperCase: boolean;
  has(code: string): boolean;
}

function tableList(name: string, title: string, table: Readonly<Record<string, string>>): CodeList {
  return { name, title, upperCase: true, has: (code) => Object.hasOwn(table, code) };
}

function setList(name: string, title: string, codes: readonly string[]): CodeList {
  const set = new Set(codes);
  return { name, title, upperCase: true, has: (code) => set.has(code) };
}

/** Every list the schemas may name, by its kebab-case name. */
export const codeLists: Readonly<Record<string, CodeList>> = Object.fromEntries(
  [
    tableList('gb3304-ethnicity', 'GB/T 3304 民族代码', gb3304Ethnicity),
    tableList('gb4658-education', 'GB/T 4658 学历代码', gb4658Education),
    tableList('gb21010-land-use', 'GB/T 21010 土地利用现状分类', gb21010LandUse),
    setList('iso4217', 'ISO 4217 货币代码', iso4217Currencies),
    tableList('samr-enterprise-type', '市场主体类型代码', samrEnterpriseTypes),
    { name: 'license-type', title: '电子证照类型代码', upperCase: true, has: isLicenseTypeCode },
    tableList('credit-record-category', '信用记录类别代码', creditRecordCategories),
  ].map((list) => [list.name, list]),
);

/** The named list; an unknown name is a programming error (a schema names a list the hub lacks). */
export function codeListNamed(name: string): CodeList {
  const list = codeLists[name];
  if (list === undefined) throw new HubError('HUB_ERR_CONFIG', `unknown code list "${name}"; known lists: ${Object.keys(codeLists).join(', ')}`);
  return list;
}
