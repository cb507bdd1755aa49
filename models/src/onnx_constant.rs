//! Constant tensors of an ONNX graph (initializers, `Constant` nodes, attribute tensors):
//! decoding to `f64` with bounded allocation, and the shapes the importer reads them as.

use ndarray::{Array1, Array2};
use tract_onnx::pb;

/// Largest constant tensor accepted (elements), so a hostile header cannot make us allocate
/// without bound.
const MAX_CONSTANT_ELEMENTS: usize = 1 << 26;

/// A constant tensor: shape and values.
#[derive(Clone, Debug)]
pub(crate) struct Constant {
    pub(crate) dims: Vec<usize>,
    pub(crate) values: Vec<f64>,
}

impl Constant {
    /// As a row constant for a row of `width`: one value, or `width` values laid along the last
    /// axis (all other axes 1), so broadcasting keeps the row's shape.
    pub(crate) fn row(&self, width: usize) -> Result<Array1<f64>, String> {
        let leading_ones = self.dims.iter().rev().skip(1).all(|d| *d == 1);
        if self.values.len() == 1 || (self.values.len() == width && leading_ones) {
            return Ok(Array1::from(self.values.clone()));
        }
        Err(format!("constant of shape {:?} does not broadcast to a row of width {width}", self.dims))
    }

    pub(crate) fn scalar(&self) -> Result<f64, String> {
        match self.values.as_slice() {
            [v] => Ok(*v),
            _ => Err(format!("expected a scalar constant, found shape {:?}", self.dims)),
        }
    }

    pub(crate) fn matrix(&self) -> Result<Array2<f64>, String> {
        let shape = match self.dims.as_slice() {
            [k] => (*k, 1),
            [r, c] => (*r, *c),
            _ => return Err(format!("expected a matrix constant, found shape {:?}", self.dims)),
        };
        Array2::from_shape_vec(shape, self.values.clone()).map_err(|e| e.to_string())
    }
}

/// Decodes a tensor's values as `f64`.
pub(crate) fn decode_tensor(t: &pb::TensorProto) -> Result<Constant, String> {
    if t.data_location == Some(pb::tensor_proto::DataLocation::External as i32) || !t.external_data.is_empty()
    {
        return Err("tensors stored as external data are not supported; re-export with weights inside".into());
    }
    let mut count = 1usize;
    let mut dims = Vec::with_capacity(t.dims.len());
    for d in &t.dims {
        let d = usize::try_from(*d).map_err(|_| format!("negative dimension {d}"))?;
        count = count.checked_mul(d).filter(|c| *c <= MAX_CONSTANT_ELEMENTS).ok_or("tensor too large")?;
        dims.push(d);
    }
    let raw = |width: usize| -> Result<Vec<[u8; 8]>, String> {
        if t.raw_data.len() != count * width {
            return Err(format!("raw data holds {} bytes, expected {}", t.raw_data.len(), count * width));
        }
        Ok(t.raw_data
            .chunks_exact(width)
            .map(|c| {
                let mut b = [0u8; 8];
                b[..width].copy_from_slice(c);
                b
            })
            .collect())
    };
    use pb::tensor_proto::DataType as T;
    let values: Vec<f64> = match T::try_from(t.data_type) {
        Ok(T::Float) if t.raw_data.is_empty() => t.float_data.iter().map(|v| f64::from(*v)).collect(),
        Ok(T::Float) => {
            raw(4)?.iter().map(|b| f64::from(f32::from_le_bytes([b[0], b[1], b[2], b[3]]))).collect()
        }
        Ok(T::Double) if t.raw_data.is_empty() => t.double_data.clone(),
        Ok(T::Double) => raw(8)?.iter().map(|b| f64::from_le_bytes(*b)).collect(),
        Ok(T::Int64) if t.raw_data.is_empty() => t.int64_data.iter().map(|v| *v as f64).collect(),
        Ok(T::Int64) => raw(8)?.iter().map(|b| i64::from_le_bytes(*b) as f64).collect(),
        Ok(T::Int32) if t.raw_data.is_empty() => t.int32_data.iter().map(|v| f64::from(*v)).collect(),
        Ok(T::Int32) => {
            raw(4)?.iter().map(|b| f64::from(i32::from_le_bytes([b[0], b[1], b[2], b[3]]))).collect()
        }
        _ => {
            return Err(format!(
                "tensor data type {} is not supported (float, double, int32, int64)",
                t.data_type
            ))
        }
    };
    if values.len() != count {
        return Err(format!("tensor of shape {dims:?} holds {} values", values.len()));
    }
    Ok(Constant { dims, values })
}

/// The value of a `Constant` node.
pub(crate) fn constant_node(node: &pb::NodeProto) -> Result<Constant, String> {
    let a = node.attribute.first().ok_or("a Constant node needs a value attribute")?;
    let vector = |values: Vec<f64>| Constant { dims: vec![values.len()], values };
    match a.name.as_str() {
        "value" => decode_tensor(a.t.as_ref().ok_or("`value` holds no tensor")?),
        "value_float" => Ok(Constant { dims: vec![], values: vec![f64::from(a.f)] }),
        "value_int" => Ok(Constant { dims: vec![], values: vec![a.i as f64] }),
        "value_floats" => Ok(vector(a.floats.iter().map(|v| f64::from(*v)).collect())),
        "value_ints" => Ok(vector(a.ints.iter().map(|v| *v as f64).collect())),
        other => Err(format!("Constant attribute `{other}` is not supported")),
    }
}
