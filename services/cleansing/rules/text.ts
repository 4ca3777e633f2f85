import { wrongType, type RuleCheck } from './finding.ts';

/** Whitespace plus the zero-width characters copy-and-paste leaves behind (String.trim misses them). */
const edgeSpace = /^[\s\u200B-\u200D\u2060]+|[\s\u200B-\u200D\u2060]+$/g;

export function trimText(text: string): string {
  return text.replace(edgeSpace, '');
}

export function isBlank(text: string): boolean {
  return trimText(text) === '';
}

export function codePointLength(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

export const required: RuleCheck = (value) =>
  value === null || value === undefined || value === '' ? '必填项为空 (required value is missing or empty)' : null;

export const notBlank: RuleCheck = (value) => {
  if (value === null || value === undefined) return '不能为空 (must not be null)';
  if (typeof value !== 'string') return wrongType('a string', value);
  return isBlank(value) ? '不能为空白 (must contain a non-whitespace character)' : null;
};

export const maxLength: RuleCheck = (value, { param }) => {
  if (typeof value !== 'string') return wrongType('a string', value);
  const max = Number(param);
  const length = codePointLength(value);
  return length > max ? `长度超过${max}个字符 (at most ${max} characters, got ${length})` : null;
};
