import { InferenceImage, InferenceImageFamily, RegionCatalogue, type RegionInfo } from '../../lib';

const catalogue = (region: string): RegionInfo => RegionCatalogue.tryLookup(region)!;

describe('InferenceImage', () => {
  it('pulls LMI and TGI from the default DLC registry account with the pinned tags', () => {
    expect(InferenceImage.lmi().bind(catalogue('eu-central-1')).imageUri).toBe('763104351884.dkr.ecr.eu-central-1.amazonaws.com/djl-inference:0.33.0-lmi15.0.0-cu128');
    expect(InferenceImage.tgi().bind(catalogue('ap-south-1')).imageUri).toBe(
      '763104351884.dkr.ecr.ap-south-1.amazonaws.com/huggingface-pytorch-tgi-inference:2.7.0-tgi3.3.6-gpu-py311-cu124-ubuntu22.04',
    );
  });

  it('uses the exception registry account of regions that have one', () => {
    expect(InferenceImage.lmi().bind(catalogue('eu-south-1')).imageUri).toBe('692866216735.dkr.ecr.eu-south-1.amazonaws.com/djl-inference:0.33.0-lmi15.0.0-cu128');
    const location = InferenceImage.tgi('2.7.0-tgi3.3.6-gpu-py311-cu124-ubuntu22.04').bind(catalogue('ap-south-2'));
    expect(location.registryAccount).toBe('772153158452');
    expect(location.imageUri).toMatch(/^772153158452\.dkr\.ecr\.ap-south-2\.amazonaws\.com\/huggingface-pytorch-tgi-inference:/);
  });

  it('takes an explicit tag', () => {
    expect(InferenceImage.lmi('0.32.0-lmi14.0.0-cu126').bind(catalogue('us-east-1')).imageUri).toBe('763104351884.dkr.ecr.us-east-1.amazonaws.com/djl-inference:0.32.0-lmi14.0.0-cu126');
    expect(() => InferenceImage.lmi('bad tag')).toThrow(/tag 'bad tag' is not a valid image tag/);
  });

  it('takes an explicit in-region URI and refuses one from another region or without a pinned tag', () => {
    const uri = '111111111111.dkr.ecr.eu-central-1.amazonaws.com/mirror/djl-inference:0.33.0-lmi15.0.0-cu128';
    const location = InferenceImage.fromUri(uri, InferenceImageFamily.LMI).bind(catalogue('eu-central-1'));
    expect(location).toEqual({ imageUri: uri, registryAccount: '111111111111', repository: 'mirror/djl-inference' });
    expect(() => InferenceImage.fromUri(uri, InferenceImageFamily.LMI).bind(catalogue('eu-west-1'))).toThrow(/image is in eu-central-1 but the endpoint is in eu-west-1/);
    expect(() => InferenceImage.fromUri('111111111111.dkr.ecr.eu-central-1.amazonaws.com/djl-inference', InferenceImageFamily.LMI)).toThrow(/not a pinned ECR image URI/);
    expect(() => InferenceImage.fromUri('docker.io/library/vllm:latest', InferenceImageFamily.LMI)).toThrow(/not a pinned ECR image URI/);
  });

  it('points both server families at the model mounted from S3, never at a hub', () => {
    const parameters = { tensorParallelDegree: 4, maxContextTokens: 8192, maxConcurrentSequences: 8 };
    expect(InferenceImageFamily.LMI.servingEnvironment(parameters)).toEqual(expect.objectContaining({
      HF_MODEL_ID: '/opt/ml/model', OPTION_TENSOR_PARALLEL_DEGREE: '4', OPTION_MAX_MODEL_LEN: '8192', OPTION_MAX_ROLLING_BATCH_SIZE: '8',
    }));
    expect(InferenceImageFamily.TGI.servingEnvironment(parameters)).toEqual(expect.objectContaining({
      HF_MODEL_ID: '/opt/ml/model', HF_HUB_OFFLINE: '1', SM_NUM_GPUS: '4', MAX_TOTAL_TOKENS: '8192', MAX_INPUT_TOKENS: '8191',
    }));
  });
});
