import { ResidencyZone, RegionCatalogue, resolveRegionInfo } from '../../lib';

describe('ResidencyZone', () => {
  it('lists only catalogue regions of the zone', () => {
    expect(ResidencyZone.IN.regions).toEqual(['ap-south-1', 'ap-south-2']);
    expect(ResidencyZone.US.regions).toEqual(expect.arrayContaining(['us-east-1', 'us-west-2']));
    expect(ResidencyZone.EU.regions).not.toContain('us-east-1');
  });

  it('refuses a region outside the zone, naming the zone and its allowed regions', () => {
    expect(() => ResidencyZone.EU.assertRegion('us-east-1', 'eu-prod')).toThrow(
      /^eu-prod: region us-east-1 is outside residency zone EU \(allowed: eu-central-1, eu-west-1, .*\)$/,
    );
    expect(() => ResidencyZone.IN.assertRegion('eu-west-1', 'in-prod')).toThrow('in-prod: region eu-west-1 is outside residency zone IN (allowed: ap-south-1, ap-south-2)');
  });

  it('allows in-region model ids in every zone', () => {
    for (const zone of ResidencyZone.all()) {
      expect(zone.allowsModel('anthropic.claude-3-haiku-20240307-v1:0')).toBe(true);
      expect(zone.allowsModel('amazon.titan-embed-text-v2:0')).toBe(true);
    }
  });

  it('allows a geographic profile only when every destination is in the zone', () => {
    expect(ResidencyZone.EU.allowsModel('eu.anthropic.claude-sonnet-4-5-20250929-v1:0')).toBe(true);
    expect(ResidencyZone.US.allowsModel('us.anthropic.claude-sonnet-4-5-20250929-v1:0')).toBe(true);
    expect(ResidencyZone.EU.allowsModel('us.anthropic.claude-sonnet-4-5-20250929-v1:0')).toBe(false);
    expect(ResidencyZone.US.allowsModel('eu.meta.llama3-2-3b-instruct-v1:0')).toBe(false);
  });

  it('refuses the apac profile in India because it routes outside India', () => {
    expect(RegionCatalogue.profileDestinations('apac')).toEqual(expect.arrayContaining(['ap-south-1', 'ap-northeast-1']));
    expect(() => ResidencyZone.IN.assertModel('apac.anthropic.claude-3-5-sonnet-20240620-v1:0', 'in-prod')).toThrow(
      /^in-prod: Bedrock model 'apac\.anthropic\.claude-3-5-sonnet-20240620-v1:0' leaves residency zone IN \('apac\.' profiles route to .*ap-northeast-1.*\); use the in-region model id or a profile with prefix 'in\.'$/,
    );
    expect(ResidencyZone.IN.profilePrefixes()).toEqual(['in']);
  });

  it('allows the in-country profiles in India, which route only between Mumbai and Hyderabad', () => {
    expect(RegionCatalogue.profileDestinations('in')).toEqual(['ap-south-1', 'ap-south-2']);
    expect(() => ResidencyZone.IN.assertModel('in.anthropic.claude-haiku-4-5-20251001-v1:0', 'in-prod')).not.toThrow();
    expect(() => ResidencyZone.EU.assertModel('in.anthropic.claude-haiku-4-5-20251001-v1:0', 'eu-prod')).toThrow(/leaves residency zone EU \('in\.' profiles route to ap-south-1, ap-south-2\)/);
  });

  it('refuses global profiles in every zone', () => {
    for (const zone of ResidencyZone.all()) {
      expect(() => zone.assertModel('global.anthropic.claude-sonnet-4-5-20250929-v1:0', 'env')).toThrow(/global profiles route to any commercial region/);
    }
  });

  it('pairs each default region with an in-zone disaster-recovery region', () => {
    expect(ResidencyZone.EU.drPartnerOf('eu-central-1', 'eu-prod')).toBe('eu-west-1');
    expect(ResidencyZone.US.drPartnerOf('us-east-1', 'us-prod')).toBe('us-west-2');
    expect(ResidencyZone.IN.drPartnerOf('ap-south-1', 'in-prod')).toBe('ap-south-2');
    expect(() => ResidencyZone.EU.drPartnerOf('eu-north-1', 'eu-x')).toThrow(/no disaster-recovery partner inside residency zone EU/);
  });
});

describe('RegionCatalogue', () => {
  it('records zone, profile prefix, DLC registry and AZs for every zoned region', () => {
    for (const info of RegionCatalogue.all().filter((i) => i.zone)) {
      expect(info.dlcRegistryAccount).toMatch(/^\d{12}$/);
      expect(info.availabilityZones.length).toBeGreaterThanOrEqual(2);
      expect(info.inferenceProfilePrefixes?.length).toBeGreaterThan(0);
    }
  });

  it('records the exception registry accounts of the opt-in regions', () => {
    expect(RegionCatalogue.tryLookup('ap-south-2')?.dlcRegistryAccount).toBe('772153158452');
    expect(RegionCatalogue.tryLookup('eu-south-1')?.dlcRegistryAccount).toBe('692866216735');
    expect(RegionCatalogue.tryLookup('eu-central-1')?.dlcRegistryAccount).toBe('763104351884');
  });

  it('refuses an unknown region without an override', () => {
    expect(() => resolveRegionInfo('xx-nowhere-1', 'env')).toThrow("env: region xx-nowhere-1 is not in the region catalogue; add it to lib/residency/region-catalogue.ts or pass an explicit regionInfo override");
  });

  it('accepts an unknown region with a matching override and refuses a mismatched one', () => {
    const override = { region: 'eu-west-9', zone: 'EU', dlcRegistryAccount: '123456789012', gpuInstanceFamilies: [], availabilityZones: ['eu-west-9a', 'eu-west-9b'] };
    expect(resolveRegionInfo('eu-west-9', 'env', override)).toBe(override);
    expect(() => resolveRegionInfo('eu-west-8', 'env', override)).toThrow(/override is for eu-west-9 but the environment is in eu-west-8/);
  });
});
