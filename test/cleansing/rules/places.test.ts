import { describe, expect, it } from 'vitest';
import { regionCodeProblem, reUnitCodeProblem, ruleSeverity } from '../../../services/cleansing/rules/index.ts';
import { samplesV1 } from '../../schemas/samples.ts';
import { findingsFor, problem } from './helpers.ts';

const sampleUnit = String(samplesV1['base.land_parcel']?.unit_code);

describe('region-code (GB/T 2260)', () => {
  it.each([['340104'], ['340100'], ['340000'], ['110101'], ['429004'], ['650000'], ['710000'], ['810000'], ['820000']])('accepts %s', (code) => {
    expect(regionCodeProblem(code)).toBeNull();
    expect(problem('region-code', code)).toBeNull();
  });

  it.each([
    ['province 99', '990104', '99 is not a province-level code'],
    ['province 00', '000000', '00 is not a province-level code'],
    ['83 (only a residence-permit address code, not a division)', '830000', 'not a province-level code'],
    ['5 digits', '34010', '6位数字'],
    ['7 digits', '3401040', '6位数字'],
    ['letters', '34A104', '6位数字'],
    ['a county under no city', '340004', 'a county part needs a city part'],
  ])('refuses %s', (_, code, message) => {
    expect(regionCodeProblem(code)).toContain(message);
    expect(problem('region-code', code)).toContain(message);
  });

  it('is a warning', () => {
    expect(ruleSeverity['region-code']).toBe('warning');
    expect(findingsFor('region-code', '990104')[0]?.severity).toBe('warning');
  });
});

describe('re-unit-code (GB/T 37346 不动产单元号)', () => {
  it.each([
    ['the sample (state land, a building unit)', sampleUnit],
    ['collective homestead with a house', '340104003002JC00017F00010001'],
    ['collective land ownership, no fixture', '340104003002JA00001W00000000'],
    ['a sea area', '350203001001GH00005W00000000'],
    ['forest trees on contracted forest land', '341822101003JE00231L00000001'],
    ['undetermined ownership, other fixture', '340104003002ZW00009Q00000001'],
  ])('accepts %s', (_, code) => {
    expect(reUnitCodeProblem(code)).toBeNull();
    expect(problem('re-unit-code', code)).toBeNull();
  });

  it.each([
    ['27 characters', sampleUnit.slice(0, 27), 'got 27'],
    ['29 characters', `${sampleUnit}0`, 'got 29'],
    ['province 99', `99${sampleUnit.slice(2)}`, '行政区划代码无效'],
    ['letters in the cadastral zone', '340104A03002GB00123F00030502', '地籍区'],
    ['an unknown owner letter', '340104003002XB00123F00030502', 'character 13'],
    ['an unknown right letter', '340104003002GK00123F00030502', 'character 14'],
    ['lower-case feature code (not normalized)', '340104003002gb00123F00030502', 'character 13'],
    ['parcel sequence 00000', '340104003002GB00000F00030502', '00001-99999'],
    ['an unknown fixture letter', '340104003002GB00123X00030502', 'character 20'],
    ['letters in the unit number', '340104003002GB00123F0003050A', '21-28'],
    ['no fixture but a unit number', '340104003002GB00123W00030502', 'W00000000'],
  ])('refuses %s', (_, code, message) => {
    expect(reUnitCodeProblem(code)).toContain(message);
    expect(problem('re-unit-code', code)).toContain(message);
  });

  it('is an error', () => {
    expect(ruleSeverity['re-unit-code']).toBe('error');
    expect(findingsFor('re-unit-code', 'x')[0]?.severity).toBe('error');
  });
});

describe('longitude and latitude (China, CGCS2000)', () => {
  it.each([
    ['longitude', 117.2272],
    ['longitude', 73],
    ['longitude', 136],
    ['latitude', 31.8206],
    ['latitude', 3],
    ['latitude', 54],
  ])('%s accepts %d', (rule, value) => {
    expect(problem(rule, value, 'double')).toBeNull();
  });

  it.each([
    ['longitude', 72.99, '经度超出我国范围'],
    ['longitude', 136.01, '经度超出我国范围'],
    ['longitude', 31.8206, '经度超出我国范围'],
    ['longitude', -117.2272, '经度超出我国范围'],
    ['latitude', 2.99, '纬度超出我国范围'],
    ['latitude', 54.01, '纬度超出我国范围'],
    ['latitude', 117.2272, '纬度超出我国范围'],
  ])('%s refuses %d', (rule, value, message) => {
    expect(problem(rule, value, 'double')).toContain(message);
  });

  it('reports non-finite numbers, skips null, and warns', () => {
    expect(problem('longitude', Number.NaN, 'double')).toContain('expected a finite number');
    expect(problem('latitude', '31.8', 'double')).toContain('expected a finite number, got string');
    expect(findingsFor('longitude', null, ['null', 'double'])).toEqual([]);
    expect(ruleSeverity.longitude).toBe('warning');
    expect(ruleSeverity.latitude).toBe('warning');
    expect(findingsFor('latitude', 90, 'double')[0]?.severity).toBe('warning');
  });
});
