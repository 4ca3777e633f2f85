import { codeListNamed } from './code-lists/index.ts';
import { wrongType, type RuleCheck } from './finding.ts';

export const codeList: RuleCheck = (value, { param }) => {
  if (typeof value !== 'string') return wrongType('a string', value);
  const list = codeListNamed(param ?? '');
  return list.has(value) ? null : `代码不在${list.title}中 (not a code of list ${list.name})`;
};
