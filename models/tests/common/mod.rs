//! Protobuf builders shared by the ONNX import specifications.

use tract_onnx::pb::{
    self, tensor_proto::DataType, tensor_shape_proto::dimension::Value as Dim, type_proto, TensorShapeProto,
    TypeProto, ValueInfoProto,
};

/// A float tensor value; `None` dims are symbolic.
pub fn value(name: &str, dims: &[Option<i64>]) -> ValueInfoProto {
    let dim = dims
        .iter()
        .map(|d| pb::tensor_shape_proto::Dimension {
            value: Some(d.map_or_else(|| Dim::DimParam("batch".into()), Dim::DimValue)),
            ..Default::default()
        })
        .collect();
    let tensor =
        type_proto::Tensor { elem_type: DataType::Float as i32, shape: Some(TensorShapeProto { dim }) };
    ValueInfoProto {
        name: name.into(),
        r#type: Some(TypeProto { value: Some(type_proto::Value::TensorType(tensor)), ..Default::default() }),
        ..Default::default()
    }
}
